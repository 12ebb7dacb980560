/** Runs a collector against a sink that records what it emits. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CollectorOptions, EventSink } from '../../collectors/types.js';
import type { CollectedEvent } from '../../src/events/event.js';
import { systemClock } from '../../src/clock.js';
import { silentLogger } from '../../src/log.js';

export interface RecordingSink extends EventSink {
  events: CollectedEvent[];
  errors: string[];
}

export function recordingSink(): RecordingSink {
  const events: CollectedEvent[] = [];
  const errors: string[] = [];
  return { events, errors, emit: (e) => events.push(e), error: (p) => errors.push(typeof p === 'string' ? p : p.message) };
}

export function collectorOptions(overrides: Partial<CollectorOptions> = {}): CollectorOptions {
  return {
    hostRoot: '/', stateDir: mkdtempSync(join(tmpdir(), 'collector-')), settings: {}, clock: systemClock,
    log: silentLogger(), agentVersion: '0.0.0-test', ...overrides,
  };
}
