/**
 * The collector contract. A collector observes the host and emits events; it knows nothing of the
 * pipeline, the outbox, the hub or azure-iot-device.
 */
import type { ChildProcess } from 'node:child_process';
import type { Logger } from 'pino';
import type { Clock } from '../src/clock.js';
import type { ChangeGate } from './change-gate.js';
import type { CollectedEvent } from '../src/events/event.js';

export type { CollectedEvent } from '../src/events/event.js';
export type { Clock } from '../src/clock.js';
export type { ChangeGate, GatedFile } from './change-gate.js';

/** All a collector can do with its output: emit an event or report an error. */
export interface EventSink {
  emit(event: CollectedEvent): void;
  /** A problem worth surfacing (logged once per distinct message by the agent, shown in reported state). */
  error(problem: Error | string): void;
}

/** Effective twin settings, flat keys as in the twin (`Process_PollingInterval`, ...). */
export type CollectorSettings = Readonly<Record<string, string | number | boolean>>;

export interface CollectorOptions {
  /** Root of the observed host: `/` normally, `/host` in a container; `<hostRoot>/proc`, `<hostRoot>/var/log`. */
  readonly hostRoot: string;
  /** A directory private to this collector for offsets, cursors and caches (already created). */
  readonly stateDir: string;
  readonly settings: CollectorSettings;
  readonly clock: Clock;
  readonly log: Logger;
  /** The agent's version, for events that report it. */
  readonly agentVersion?: string;
  /** The children the agent itself spawned: register yours on spawn; observers skip these (and theirs) only. */
  readonly spawned?: SpawnedChildren;
  /**
   * Checks files off the event loop and wakes a collector when one changed (the agent passes it when it runs on
   * the system clock and the addon loads); without it a collector polls on `clock`.
   */
  readonly changeGate?: ChangeGate;
}

/** pids of the agent's own children, registered on spawn and forgotten shortly after they exit. */
export interface SpawnedChildren {
  add(child: ChildProcess): void;
  has(pid: number): boolean;
}

/** What the collector reports about itself in the twin's reported properties. */
export interface CollectorStatus {
  state: 'running' | 'stopped' | 'failed' | 'degraded';
  /** One line: why failed/degraded, or which mode it runs in ("polling: process connector unavailable"). */
  detail?: string;
}

export interface Collector {
  /** The twin name: `Process`, `Login`, `NetworkActivity`, `Heartbeat`, `SystemInformation`, ... */
  readonly name: string;
  /** Streaming or self-polling sources: begin observing and emit through `out` until stop(). */
  start?(out: EventSink): Promise<void>;
  /** Snapshot sources: called once per send interval of the collector, just before its events leave. */
  collect?(out: EventSink): Promise<void>;
  /** Idempotent, safe without start(); releases timers, children and file handles. */
  stop(): Promise<void>;
  status?(): CollectorStatus;
  /**
   * Times events were lost before they reached the collector (the kernel's receive buffer overflowed), since it
   * started; each lost an unknown number. Reported in the Statistics events, so no loss is silent.
   */
  sourceOverflows?(): number;
}

export type CollectorFactory = (options: CollectorOptions) => Collector;
