/** Runs a collector against a sink that records what it emits. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import type { CollectorOptions, EventSink } from '../../collectors/types.js';
import type { CollectedEvent } from '../../src/events/event.js';
import { systemClock } from '../../src/clock.js';
import { silentLogger } from '../../src/log.js';
import { packageFile } from '../../src/package-root.js';

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

/** The README's sample is the real output: tests write it. */
export function writeSampleEvent(collectorDir: string, event: CollectedEvent): void {
  writeFileSync(packageFile('collectors', collectorDir, 'sample-event.json'), `${JSON.stringify(event, null, 2)}\n`);
}
