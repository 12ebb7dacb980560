/** Shared pieces of the connection collector tests: a sink, a still clock, options, and the official schemas. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { pino } from 'pino';
import type { Clock } from '../../../src/clock.js';
import type { CollectedEvent, EventSink } from '../../../collectors/types.js';
import type { ConnectionCollectorOptions } from '../../../collectors/connection/index.js';
import { buildMessage, toWireEvent } from '../../../src/events/envelope.js';

export const FIXTURES = resolve(import.meta.dirname, '../../fixtures/connection');
export const SCHEMAS = resolve(import.meta.dirname, '../../../../shared/reference/azure-iot-security/security_message/schemas');
export const SCHEMAS_PRESENT = existsSync(join(SCHEMAS, 'message_v1_0.json'));

export class RecordingSink implements EventSink {
  readonly events: CollectedEvent[] = [];
  readonly errors: string[] = [];
  emit(event: CollectedEvent): void {
    this.events.push(event);
  }
  error(problem: Error | string): void {
    this.errors.push(typeof problem === 'string' ? problem : problem.message);
  }
  named(name: string): CollectedEvent[] {
    return this.events.filter((e) => e.name === name);
  }
}

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

type Validate = ((data: unknown) => boolean) & { errors?: unknown };
let validateMessage: Validate | undefined;

/** Errors of the events in one envelope against the official message schema, unchanged; [] when valid. */
export function schemaProblems(events: readonly CollectedEvent[]): unknown[] {
  if (!validateMessage) {
    const ajv = new Ajv({ strict: false, allErrors: true });
    const addFormats = addFormatsModule as unknown as (a: Ajv) => void;
    addFormats(ajv);
    for (const file of readdirSync(SCHEMAS).filter((f) => f.endsWith('.json') && f !== 'messageRoot.json')) {
      ajv.addSchema(JSON.parse(readFileSync(join(SCHEMAS, file), 'utf8')) as object);
    }
    validateMessage = ajv.getSchema('message_v1_0.json') as Validate;
  }
  const message = buildMessage(
    { agentId: '9c647395-b913-4997-a732-a7fe7303b649', agentVersion: '0.1.0' },
    events.map((e) => toWireEvent(e, '11111111-2222-3333-4444-555555555555')),
  );
  return validateMessage(message) ? [] : [validateMessage.errors];
}
