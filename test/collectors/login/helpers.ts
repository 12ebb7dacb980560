/** Test doubles for the Login collector: a manual clock, a recording sink, the official schema. */
import { chmodSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { officialEventProblems } from '../../support/official-conformance.js';
import { pino } from 'pino';
import type { Clock } from '../../../src/clock.js';
import type { CollectedEvent } from '../../../src/events/event.js';
import { buildMessage, toWireEvent } from '../../../src/events/envelope.js';
import type { CollectorOptions, EventSink } from '../../../collectors/types.js';

export const repoRoot = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
export const fixtures = join(repoRoot, 'test/fixtures/login');
export const silentLog = pino({ level: 'silent' });

export class ManualClock implements Clock {
  private timers: { fn: () => void; at: number; every?: number; id: number }[] = [];
  private nextId = 0;
  constructor(public nowMs: number) {}
  now(): number {
    return this.nowMs;
  }
  setTimeout(fn: () => void, ms: number): () => void {
    const id = this.nextId++;
    this.timers.push({ fn, at: this.nowMs + ms, id });
    return () => (this.timers = this.timers.filter((t) => t.id !== id));
  }
  setInterval(fn: () => void, ms: number): () => void {
    const id = this.nextId++;
    this.timers.push({ fn, at: this.nowMs + ms, every: ms, id });
    return () => (this.timers = this.timers.filter((t) => t.id !== id));
  }
  /** Moves time forward and runs what fell due, once each. */
  advance(ms: number): void {
    this.nowMs += ms;
    for (const t of [...this.timers].filter((x) => x.at <= this.nowMs)) {
      if (t.every === undefined) this.timers = this.timers.filter((x) => x.id !== t.id);
      else t.at = this.nowMs + t.every;
      t.fn();
    }
  }
  get pending(): number {
    return this.timers.length;
  }
}

export { RecordingSink } from '../../support/recording-sink.js';

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `login-${prefix}-`));
}

export function options(hostRoot: string, stateDir: string, clock: Clock, settings: Record<string, boolean> = {}): CollectorOptions {
  return { hostRoot, stateDir, clock, settings, log: silentLog };
}

/** The official schemas are the repository's copies in message-schema/ (see official-conformance), on every clone. */
export const schemaMissing: string | undefined = undefined;

/** Problems of the events inside one security message against the official schemas, unchanged; undefined when valid. */
export function validateEvents(events: readonly CollectedEvent[]): string | undefined {
  const problems = officialEventProblems(events);
  return problems.length === 0 ? undefined : problems.slice(0, 5).join('; ');
}

export function payloadOf(event: CollectedEvent | undefined): Record<string, unknown> {
  return (event?.payload[0] ?? {}) as Record<string, unknown>;
}

/** Lets the collector's async poll run: advances the manual clock a second at a time until `done`. */
export async function pollUntil(clock: ManualClock, done: () => boolean, maxSteps = 50): Promise<void> {
  for (let i = 0; i < maxSteps && !done(); i++) {
    clock.advance(1000);
    await new Promise((r) => setTimeout(r, 15));
  }
}

/**
 * A stand-in journalctl: records its argv (one JSON line per run) in `argsLog`, prints the file `jsonl`,
 * then stays alive like `-f` does, or exits (`exit`) as the one-shot read expects.
 */
export async function standInJournalctl(jsonl: string, exit = false): Promise<{ command: string; argsLog: string }> {
  const bin = await tempDir('bin');
  const command = join(bin, 'journalctl');
  const argsLog = join(bin, 'args.log');
  const stay = exit ? '' : 'setInterval(() => {}, 1000);\n';
  writeFileSync(command, `#!${process.execPath}\nconst fs = require('node:fs');\nfs.appendFileSync(${JSON.stringify(argsLog)}, JSON.stringify(process.argv.slice(2)) + '\\n');\nprocess.stdout.write(fs.readFileSync(${JSON.stringify(jsonl)}));\n${stay}`);
  chmodSync(command, 0o755);
  return { command, argsLog };
}

/** The argv of every run of a stand-in journalctl, oldest first. */
export function journalctlCalls(argsLog: string): string[][] {
  return readFileSync(argsLog, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as string[]);
}
