/** Shared pieces of the connection collector tests: a sink, a still clock, options, and the official schemas. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { officialEventProblems } from '../../support/official-conformance.js';
import { pino } from 'pino';
import type { Clock } from '../../../src/clock.js';
import type { CollectedEvent, EventSink } from '../../../collectors/types.js';
import type { ConnectionCollectorOptions } from '../../../collectors/connection/index.js';
import { buildMessage, toWireEvent } from '../../../src/events/envelope.js';

export const FIXTURES = resolve(import.meta.dirname, '../../fixtures/connection');
/** The official schemas are the repository's copies in message-schema/, present on every clone. */
export const SCHEMAS_PRESENT = true;

export { RecordingSink } from '../../support/recording-sink.js';

/** Time stands still; the interval is captured so a test can see it was scheduled. */
export class StillClock implements Clock {
  intervals: number[] = [];
  constructor(public time = Date.UTC(2026, 0, 1)) {}
  now(): number {
    return this.time;
  }
  setTimeout(): () => void {
    return () => undefined;
  }
  setInterval(_fn: () => void, ms: number): () => void {
    this.intervals.push(ms);
    return () => undefined;
  }
}

export function options(hostRoot: string, settings: Record<string, string | number | boolean> = {}, extra: Partial<ConnectionCollectorOptions> = {}): ConnectionCollectorOptions {
  return {
    hostRoot, stateDir: '/nonexistent', settings, clock: extra.clock ?? new StillClock(), log: pino({ level: 'silent' }),
    ...(hostRoot === '/' ? {} : { littleEndian: true }), ...extra,
  };
}

/** Errors of the events in one envelope against the official message schema, unchanged; [] when valid. */
export function schemaProblems(events: readonly CollectedEvent[]): string[] {
  return officialEventProblems(events);
}
