/** Test doubles for the Login collector: a manual clock, a recording sink, the official schema. */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
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

export class RecordingSink implements EventSink {
  readonly events: CollectedEvent[] = [];
  readonly errors: string[] = [];
  emit(event: CollectedEvent): void {
    this.events.push(event);
  }
  error(problem: Error | string): void {
    this.errors.push(typeof problem === 'string' ? problem : problem.message);
  }
}

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `login-${prefix}-`));
}

export function options(hostRoot: string, stateDir: string, clock: Clock, settings: Record<string, boolean> = {}): CollectorOptions {
  return { hostRoot, stateDir, clock, settings, log: silentLog };
}

export const schemaDir = join(repoRoot, '../shared/reference/azure-iot-security/security_message/schemas');
export const schemaMissing = existsSync(join(schemaDir, 'message_v1_0.json'))
  ? undefined
  : `official schemas not found at ${schemaDir}`;

/** The official message schema (all event schemas added), ajv 8 + ajv-formats, schemas unchanged. */
export function messageValidator(): ValidateFunction {
  // the official files use a non-standard `boolean` keyword, so strict mode is off
  const ajv = new Ajv({ strict: false, allErrors: true });
  const addFormats = addFormatsModule as unknown as (a: Ajv) => Ajv;
  addFormats(ajv);
  for (const f of readdirSync(schemaDir).filter((n) => n.endsWith('.json') && n !== 'message_v1_0.json')) {
    ajv.addSchema(JSON.parse(readFileSync(join(schemaDir, f), 'utf8')) as object);
  }
  return ajv.compile(JSON.parse(readFileSync(join(schemaDir, 'message_v1_0.json'), 'utf8')) as object);
}

/** Validates events inside a whole security message, as the hub would receive them. */
export function validateEvents(validate: ValidateFunction, events: readonly CollectedEvent[]): string | undefined {
  const message = buildMessage(
    { agentId: '8a3a8f5e-4b1c-4f57-9c53-2b0a8e0f7d11', agentVersion: '0.1.0' },
    events.map((e) => toWireEvent(e, '2f1d9c1e-7a55-4b8e-9a42-3c5f6b7d8e90')),
  );
  return validate(message) ? undefined : JSON.stringify(validate.errors?.slice(0, 5));
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
