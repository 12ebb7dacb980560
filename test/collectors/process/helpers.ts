/** Test doubles for the Process collector: a fake clock, a recording sink, a fake host root. */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock, CollectedEvent, CollectorOptions, EventSink } from '../../../collectors/types.js';
import { silentLogger } from '../../../src/log.js';

interface Timer {
  id: number;
  at: number;
  every: number | undefined;
  fn: () => void;
}

export class FakeClock implements Clock {
  private t: number;
  private seq = 0;
  private timers: Timer[] = [];

  constructor(start = Date.UTC(2025, 0, 15, 12, 0, 0)) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): () => void {
    return this.add(fn, ms, undefined);
  }

  setInterval(fn: () => void, ms: number): () => void {
    return this.add(fn, ms, ms);
  }

  get pendingTimers(): number {
    return this.timers.length;
  }

  /** Advance time, firing due timers in order. */
  tick(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const next = this.timers.filter((x) => x.at <= end).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!next) break;
      this.t = next.at;
      if (next.every === undefined) this.timers = this.timers.filter((x) => x !== next);
      else next.at += next.every;
      next.fn();
    }
    this.t = end;
  }

  private add(fn: () => void, ms: number, every: number | undefined): () => void {
    const timer = { id: this.seq++, at: this.t + ms, every, fn };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((x) => x !== timer);
    };
  }
}

export { RecordingSink } from '../../support/recording-sink.js';

/** Let the poll started by a timer tick finish: it yields to the event loop every 32 reads (200 turns: 6,400 reads). */
export async function settle(): Promise<void> {
  for (let turn = 0; turn < 200; turn++) await new Promise((resolve) => setImmediate(resolve));
}

export const FIXTURES = join(import.meta.dirname, '../../fixtures/process');

export function fixturePolls(name: string): string[] {
  return readdirSync(join(FIXTURES, name))
    .filter((d) => d.startsWith('poll-'))
    .sort()
    .map((d) => join(FIXTURES, name, d));
}

/**
 * A host root whose contents are swapped per poll. Old trees move to a graveyard instead of being
 * deleted, so the filesystem cannot hand a new /proc/<pid> the inode of a removed one.
 */
export class FakeHost {
  readonly root = mkdtempSync(join(tmpdir(), 'proc-host-'));
  private readonly graveyard = mkdtempSync(join(tmpdir(), 'proc-old-'));
  private generation = 0;

  load(pollDir: string): void {
    const grave = join(this.graveyard, String(this.generation++));
    mkdirSync(grave);
    for (const entry of readdirSync(this.root)) renameSync(join(this.root, entry), join(grave, entry));
    cpSync(pollDir, this.root, { recursive: true, verbatimSymlinks: true });
  }

  dispose(): void {
    rmSync(this.root, { recursive: true, force: true });
    rmSync(this.graveyard, { recursive: true, force: true });
  }
}

export function collectorOptions(hostRoot: string, clock: Clock, extra: Partial<CollectorOptions> = {}): CollectorOptions {
  return { hostRoot, stateDir: hostRoot, settings: {}, clock, log: silentLogger(), ...extra };
}

/** What a golden file keeps of an event: everything but the time. */
export function goldenView(e: CollectedEvent): Record<string, unknown> {
  return { name: e.name, category: e.category, eventType: e.eventType, aggregationKey: e.aggregationKey, payload: e.payload };
}
