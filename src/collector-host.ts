/**
 * Runs collectors: creates, starts, restarts and stops them, hands each a sink, and remembers how
 * each is doing for the reported properties. Knows nothing of the pipeline or the hub. Every call
 * into a collector has a deadline, so one that hangs is reported failed and never holds up the rest.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { ChangeGate, Collector, CollectorFactory, CollectorSettings, CollectorStatus, EventSink } from '../collectors/types.js';
import type { Clock } from './clock.js';
import type { CollectedEvent } from './events/event.js';
import { CollectorSinks, type EmitCounters } from './collector-sink.js';
import type { CustomEventCheck } from './events/custom-event-schema.js';
import { errorMessage } from './errors.js';
import { SpawnedChildrenRegistry } from './spawned-children.js';

export type CollectorState = CollectorStatus['state'] | 'disabled' | 'unsupported';
export interface CollectorReport { state: CollectorState; detail?: string }

export interface CollectorHostOptions {
  factories: Readonly<Record<string, CollectorFactory>>;
  hostRoot: string;
  /** Collectors get `<stateDir>/collectors/<name>`; a temp-less in-memory run passes undefined. */
  stateDir: string | undefined;
  clock: Clock;
  log: Logger;
  agentVersion: string;
  /** Handed to every collector: wakes it when a file changed, so an idle device's event loop sleeps. */
  changeGate?: ChangeGate;
  /** Where emitted events go. */
  onEvent: (collector: string, event: CollectedEvent) => void;
  /** A collector's reported state changed outside a configuration change (a deadline missed, or met again). */
  onStatusChange?: (collector: string) => void;
  /** Deadline of one start() or collect(); default 15 s. */
  callTimeoutMs?: number;
  /** Custom collectors' checks of their declared event, by collector name. */
  eventChecks?: Readonly<Record<string, CustomEventCheck>>;
  /** A collector failed or reported a problem (for the agent's `error` event). */
  onProblem?: (collector: string, message: string) => void;
  /** Deadline of one stop(); default 2 s. */
  stopTimeoutMs?: number;
}

interface Running {
  collector: Collector;
  lastError?: string;
  /** Set while a call is past its deadline: the collector is reported failed with this reason. */
  overdue?: string | undefined;
  /** A collect() still running after its deadline: the next one is skipped rather than piled on top. */
  collecting?: Promise<unknown> | undefined;
  /** Ends the wait on a collect() in progress (the collector is being stopped). */
  abandonCollect?: (() => void) | undefined;
  /** An invalid event was logged already; later ones are only counted. */
  warnedInvalid?: boolean;
}

type Outcome = { kind: 'done' } | { kind: 'error'; error: unknown } | { kind: 'timeout' } | { kind: 'abandoned' };

export class CollectorHost {
  private readonly running = new Map<string, Running>();
  private readonly failed = new Map<string, string>();
  private readonly disabled = new Set<string>();
  /** The sinks collectors emit into, with their counters. */
  private readonly sinks: CollectorSinks;
  /** Ends every wait on a collector call when the host stops. */
  private readonly abandons = new Set<() => void>();
  /** Releases the waits on collect() calls in progress (see hurry). */
  private readonly waiting = new Set<() => void>();
  private hurrying = false;
  private readonly callTimeoutMs: number;
  private readonly stopTimeoutMs: number;
  private tempDir: Promise<string> | undefined;
  private closed = false;

  /** The agent's own children (journalctl, helpers) are its work, not device activity. */
  private readonly spawned: SpawnedChildrenRegistry;

  constructor(private readonly opts: CollectorHostOptions) {
    this.spawned = new SpawnedChildrenRegistry(opts.clock);
    this.sinks = new CollectorSinks({ onEvent: opts.onEvent, eventChecks: opts.eventChecks, onProblem: opts.onProblem });
    this.callTimeoutMs = opts.callTimeoutMs ?? 15_000;
    this.stopTimeoutMs = opts.stopTimeoutMs ?? 2_000;
  }

  names(): string[] {
    return Object.keys(this.opts.factories);
  }

  isRunning(name: string): boolean {
    return this.running.has(name);
  }

  /** (Re)starts `name` with `settings`, or stops it when disabled. Does nothing once the host is stopped. */
  async apply(name: string, settings: CollectorSettings, enabled: boolean): Promise<void> {
    if (this.closed) return;
    await this.stopOne(name);
    this.failed.delete(name);
    this.disabled.delete(name);
    if (!enabled) {
      this.disabled.add(name);
      return;
    }
    const factory = this.opts.factories[name];
    if (!factory || this.closed) return;
    const log = this.opts.log.child({ collector: name });
    let entry: Running | undefined;
    try {
      const stateDir = await this.collectorDir(name, log);
      const collector = factory({
        hostRoot: this.opts.hostRoot, stateDir, settings, clock: this.opts.clock, log, agentVersion: this.opts.agentVersion,
        spawned: this.spawned, ...(this.opts.changeGate ? { changeGate: this.opts.changeGate } : {}),
      });
      entry = { collector };
      this.running.set(name, entry);
      const started = entry;
      const outcome = await this.call(() => collector.start?.(this.sink(name, started, log)));
      if (outcome.kind === 'error') throw outcome.error;
      if (outcome.kind === 'timeout') throw new Error(`start() did not finish within ${this.callTimeoutMs} ms`);
    } catch (err) {
      if (entry !== undefined && this.running.get(name) === entry) await this.stopOne(name);
      this.failed.set(name, errorMessage(err));
      log.error({ reason: errorMessage(err) }, 'collector failed to start');
      this.opts.onProblem?.(name, `failed to start: ${errorMessage(err)}`);
    }
  }

  /** `<stateDir>/collectors/<name>`; without a usable state dir, a private temp dir that lives for this run only. */
  private async collectorDir(name: string, log: Logger): Promise<string> {
    if (this.opts.stateDir !== undefined) {
      const dir = join(this.opts.stateDir, 'collectors', name);
      try {
        await mkdir(dir, { recursive: true, mode: 0o700 });
        return dir;
      } catch (err) {
        log.warn({ dir, reason: errorMessage(err) }, 'collector state dir not writable; offsets will not survive a restart');
      }
    }
    // mkdtemp: a name no other local user can predict or plant a symlink at; removed by stopAll().
    this.tempDir ??= mkdtemp(join(tmpdir(), 'iot-micro-agent-'));
    const dir = join(await this.tempDir, 'collectors', name);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    return dir;
  }

  /** Asks the snapshot collectors among `names` for their events; each gets until its deadline. */
  async collect(names: readonly string[]): Promise<void> {
    await Promise.all(names.map((name) => this.collectOne(name)));
  }

  /**
   * While on, collect() starts the collections but does not wait for them, and the waits in progress end:
   * a configuration change goes ahead at once, and what a slow collector emits before its deadline still
   * leaves with the next send.
   */
  hurry(on: boolean): void {
    this.hurrying = on;
    if (on) for (const release of [...this.waiting]) release();
  }

  private async collectOne(name: string): Promise<void> {
    const entry = this.running.get(name);
    const collector = entry?.collector;
    if (!entry || !collector?.collect || entry.collecting !== undefined) return;
    const log = this.opts.log.child({ collector: name });
    let open = true;
    const sink = this.sink(name, entry, log, () => open);
    const work = Promise.resolve().then(() => collector.collect?.(sink));
    entry.collecting = work;
    // The next collect() runs only once this one has settled, even past its deadline.
    work.then(() => undefined, () => undefined).finally(() => {
      if (entry.collecting === work) entry.collecting = undefined;
    }).catch(() => undefined);
    const settled = this.call(() => work, this.callTimeoutMs, (abandon) => {
      entry.abandonCollect = abandon;
    }).then((outcome) => {
      entry.abandonCollect = undefined;
      open = false;
      this.afterCollect(name, entry, outcome, log);
    });
    if (this.hurrying) return;
    await new Promise<void>((resolve) => {
      const release = (): void => {
        this.waiting.delete(release);
        resolve();
      };
      this.waiting.add(release);
      void settled.then(release);
    });
  }

  private afterCollect(name: string, entry: Running, outcome: Outcome, log: Logger): void {
    if (outcome.kind === 'timeout') {
      const reason = `collect() did not finish within ${this.callTimeoutMs} ms; its late results are ignored`;
      if (entry.overdue === undefined) log.warn({ reason }, 'collection overdue');
      entry.overdue = reason;
      this.opts.onStatusChange?.(name);
      return;
    }
    if (outcome.kind === 'error') {
      entry.lastError = errorMessage(outcome.error);
      log.warn({ reason: entry.lastError }, 'collection failed');
      this.opts.onProblem?.(name, `collect() failed: ${entry.lastError}`);
    }
    if (outcome.kind !== 'abandoned' && entry.overdue !== undefined) {
      entry.overdue = undefined;
      log.info('collection back within its deadline');
      this.opts.onStatusChange?.(name);
    }
  }

  report(name: string): CollectorReport {
    if (!(name in this.opts.factories)) return { state: 'unsupported', detail: 'not implemented by this agent version' };
    if (this.disabled.has(name)) return { state: 'disabled' };
    const failure = this.failed.get(name);
    if (failure !== undefined) return { state: 'failed', detail: failure };
    const entry = this.running.get(name);
    if (!entry) return { state: 'stopped' };
    if (entry.overdue !== undefined) return { state: 'failed', detail: entry.overdue };
    const status = this.statusOf(name, entry);
    const counts = this.sinks.counters(name);
    const detail = status.detail ?? entry.lastError
      ?? (counts.refused === 0 ? undefined : `${counts.refused} invalid events refused; last: ${counts.lastRefusal ?? ''}`);
    return detail === undefined ? { state: status.state } : { state: status.state, detail };
  }

  /** Events emitted and refused since start. */
  counters(name: string): EmitCounters {
    return this.sinks.counters(name);
  }

  /** The running collector's losses at its source (kernel buffer overflows) since it started; 0 if it has none. */
  sourceOverflows(name: string): number {
    try {
      const n = this.running.get(name)?.collector.sourceOverflows?.() ?? 0;
      return Number.isSafeInteger(n) && n > 0 ? n : 0;
    } catch {
      return 0;
    }
  }

  /** Stops every collector (each within its deadline), ends waits on them, removes the temp dir; final. */
  async stopAll(): Promise<void> {
    this.closed = true;
    for (const abandon of [...this.abandons]) abandon();
    this.hurry(true);
    await Promise.all([...this.running.keys()].map((n) => this.stopOne(n)));
    const temp = this.tempDir;
    this.tempDir = undefined;
    if (temp !== undefined) await rm(await temp.catch(() => ''), { recursive: true, force: true }).catch(() => undefined);
  }

  private statusOf(name: string, entry: Running): CollectorStatus {
    try {
      return entry.collector.status?.() ?? { state: 'running' };
    } catch (err) {
      return { state: 'degraded', detail: `status() failed: ${errorMessage(err)}` };
    }
  }

  private async stopOne(name: string): Promise<void> {
    const entry = this.running.get(name);
    if (!entry) return;
    this.running.delete(name);
    entry.abandonCollect?.();
    const outcome = await this.call(() => entry.collector.stop(), this.stopTimeoutMs);
    if (outcome.kind === 'error') this.opts.log.warn({ collector: name, reason: errorMessage(outcome.error) }, 'collector did not stop cleanly');
    if (outcome.kind === 'timeout') this.opts.log.warn({ collector: name, timeoutMs: this.stopTimeoutMs }, 'collector did not stop in time; abandoned');
  }

  /** Runs one collector call with a deadline; a throw, a rejection, a timeout or the host stopping all end it. */
  private call(fn: () => Promise<unknown> | undefined, ms = this.callTimeoutMs, onAbandon?: (abandon: () => void) => void): Promise<Outcome> {
    return new Promise<Outcome>((resolve) => {
      const finish = (outcome: Outcome): void => {
        cancel();
        this.abandons.delete(abandon);
        resolve(outcome);
      };
      const abandon = (): void => finish({ kind: 'abandoned' });
      const cancel = this.opts.clock.setTimeout(() => finish({ kind: 'timeout' }), ms);
      this.abandons.add(abandon);
      onAbandon?.(abandon);
      Promise.resolve().then(fn).then(() => finish({ kind: 'done' }), (error: unknown) => finish({ kind: 'error', error }));
    });
  }

  private sink(name: string, entry: Running, log: Logger, open: () => boolean = () => true): EventSink {
    return this.sinks.make(name, {
      accepts: () => this.running.get(name) === entry && open(),
      firstRefusal: () => {
        const first = entry.warnedInvalid !== true;
        entry.warnedInvalid = true;
        return first;
      },
      setError: (text) => {
        entry.lastError = text;
      },
    }, log);
  }
}
