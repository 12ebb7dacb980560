/**
 * Runs collectors: creates, starts, restarts and stops them, hands each a sink, and remembers how
 * each is doing for the reported properties. Knows nothing of the pipeline or the hub.
 */
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Collector, CollectorFactory, CollectorSettings, CollectorStatus, EventSink } from '../collectors/types.js';
import type { Clock } from './clock.js';
import type { CollectedEvent } from './events/event.js';
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
  /** Where emitted events go. */
  onEvent: (collector: string, event: CollectedEvent) => void;
}

interface Running { collector: Collector; lastError?: string }

export class CollectorHost {
  private readonly running = new Map<string, Running>();
  private readonly failed = new Map<string, string>();
  private readonly disabled = new Set<string>();
  /** The agent's own children (journalctl, helpers) are its work, not device activity. */
  private readonly spawned: SpawnedChildrenRegistry;

  constructor(private readonly opts: CollectorHostOptions) {
    this.spawned = new SpawnedChildrenRegistry(opts.clock);
  }

  names(): string[] {
    return Object.keys(this.opts.factories);
  }

  isRunning(name: string): boolean {
    return this.running.has(name);
  }

  /** (Re)starts `name` with `settings`, or stops it when disabled. */
  async apply(name: string, settings: CollectorSettings, enabled: boolean): Promise<void> {
    await this.stopOne(name);
    this.failed.delete(name);
    this.disabled.delete(name);
    if (!enabled) {
      this.disabled.add(name);
      return;
    }
    const factory = this.opts.factories[name];
    if (!factory) return;
    const log = this.opts.log.child({ collector: name });
    try {
      const stateDir = await this.collectorDir(name, log);
      const collector = factory({
        hostRoot: this.opts.hostRoot, stateDir, settings, clock: this.opts.clock, log, agentVersion: this.opts.agentVersion,
        spawned: this.spawned,
      });
      const entry: Running = { collector };
      this.running.set(name, entry);
      await collector.start?.(this.sink(name, entry, log));
    } catch (err) {
      this.running.delete(name);
      this.failed.set(name, errorMessage(err));
      log.error({ reason: errorMessage(err) }, 'collector failed to start');
    }
  }

  /** `<stateDir>/collectors/<name>`; without a usable state dir, a temp dir whose offsets live for this run only. */
  private async collectorDir(name: string, log: Logger): Promise<string> {
    const temp = join(tmpdir(), `iot-micro-agent-${process.pid}`, 'collectors', name);
    if (this.opts.stateDir !== undefined) {
      const dir = join(this.opts.stateDir, 'collectors', name);
      try {
        await mkdir(dir, { recursive: true, mode: 0o700 });
        return dir;
      } catch (err) {
        log.warn({ dir, reason: errorMessage(err), fallback: temp }, 'collector state dir not writable; offsets will not survive a restart');
      }
    }
    await mkdir(temp, { recursive: true, mode: 0o700 });
    return temp;
  }

  /** Asks the snapshot collectors among `names` for their events. */
  async collect(names: readonly string[]): Promise<void> {
    await Promise.all(names.map(async (name) => {
      const entry = this.running.get(name);
      if (!entry?.collector.collect) return;
      try {
        await entry.collector.collect(this.sink(name, entry, this.opts.log.child({ collector: name })));
      } catch (err) {
        entry.lastError = errorMessage(err);
        this.opts.log.warn({ collector: name, reason: entry.lastError }, 'collection failed');
      }
    }));
  }

  report(name: string): CollectorReport {
    if (!(name in this.opts.factories)) return { state: 'unsupported', detail: 'not implemented by this agent version' };
    if (this.disabled.has(name)) return { state: 'disabled' };
    const failure = this.failed.get(name);
    if (failure !== undefined) return { state: 'failed', detail: failure };
    const entry = this.running.get(name);
    if (!entry) return { state: 'stopped' };
    const status = entry.collector.status?.() ?? { state: 'running' };
    const detail = status.detail ?? entry.lastError;
    return detail === undefined ? { state: status.state } : { state: status.state, detail };
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.running.keys()].map((n) => this.stopOne(n)));
  }

  private async stopOne(name: string): Promise<void> {
    const entry = this.running.get(name);
    if (!entry) return;
    this.running.delete(name);
    try {
      await entry.collector.stop();
    } catch (err) {
      this.opts.log.warn({ collector: name, reason: errorMessage(err) }, 'collector did not stop cleanly');
    }
  }

  private sink(name: string, entry: Running, log: Logger): EventSink {
    const seen = new Set<string>();
    return {
      emit: (event) => {
        if (this.running.get(name) === entry) this.opts.onEvent(name, event);
      },
      error: (problem) => {
        const text = typeof problem === 'string' ? problem : problem.message;
        entry.lastError = text.slice(0, 300);
        // Logged once per distinct problem, so a broken source does not flood the journal.
        if (seen.has(text) || seen.size > 100) return;
        seen.add(text);
        log.warn({ reason: entry.lastError }, 'collector problem');
      },
    };
  }
}
