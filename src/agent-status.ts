/** What `agent.status()` returns, and the per-collector view it shares with the reported properties. */
import type { EventEmitter } from 'node:events';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { CollectorSettings } from '../collectors/types.js';
import type { AgentProblem, ErrorSource, MicroAgentEvents } from './agent-events.js';
import type { Clock } from './clock.js';
import type { CollectorHost, CollectorReport, CollectorState } from './collector-host.js';
import type { TwinConfigStore } from './config/twin-config-store.js';
import { AgentError, errorMessage } from './errors.js';
import { DEAD_LETTER_NAME } from './outbox/dead-letter-file.js';
import type { DeliveryStats } from './outbox/delivery.js';
import type { OutboxStats } from './outbox/outbox.js';

const STATISTICS = 'Statistics';

export type ConnectionState = 'connecting' | 'connected' | 'disconnected';

/** One collector in `status()`. */
export interface CollectorStatusEntry {
  readonly state: CollectorState;
  /** Why failed or degraded, the mode it runs in, or how many invalid events were refused. */
  readonly detail?: string;
  /** Events accepted since the agent started. */
  readonly emitted: number;
  /** Events refused at emit as invalid (a custom collector's schema, or the event model); never sent. */
  readonly refused: number;
  /** Its effective twin keys (`<Name>_*`). */
  readonly settings: CollectorSettings;
}

/** A snapshot of the agent for the program that embeds it; cheap, no I/O. */
export interface AgentStatus {
  readonly lifecycle: 'new' | 'starting' | 'running' | 'stopped';
  readonly agentId: string;
  readonly connection: {
    readonly state: ConnectionState;
    /** The hub or gateway host; undefined before start(). */
    readonly endpoint: string | undefined;
    /** Since when in this state, ISO 8601 UTC; undefined before start(). */
    readonly since: string | undefined;
  };
  /** The most recent problem (the payload of the last `error` event), or undefined. */
  readonly lastError: AgentProblem | undefined;
  /** The last configuration decision, as reported to the twin. */
  readonly configuration: { readonly latest_state: 'success' | 'failed'; readonly latest_invalid_fields: readonly string[]; readonly version: number | undefined };
  readonly collectors: Readonly<Record<string, CollectorStatusEntry>>;
  readonly outbox: {
    readonly mode: 'disk' | 'memory';
    /** Messages waiting to be sent. */
    readonly depth: number;
    readonly bytes: number;
    /** Age of the oldest waiting message, ms; undefined when none waits. */
    readonly oldestAgeMs: number | undefined;
    readonly droppedBySize: number;
    readonly droppedByAge: number;
  };
  /** Messages the hub acknowledged, and failed send attempts (retried), since start. */
  readonly messages: { readonly sent: number; readonly failedAttempts: number };
  /** Messages the hub refused for good, kept in `file` (disk outbox) instead of being retried forever. */
  readonly deadLetters: { readonly count: number; readonly file: string | undefined };
}

/** What the host program is told: the events, and the connection state and last problem status() shows. */
export class StatusTracker {
  connection: ConnectionState = 'disconnected';
  since: number | undefined;
  lastError: AgentProblem | undefined;

  constructor(private readonly emitter: EventEmitter<MicroAgentEvents>, private readonly clock: Clock, private readonly log: Logger) {}

  setConnection(state: ConnectionState): void {
    this.connection = state;
    this.since = this.clock.now();
  }

  /** Emits to the host program; a listener that throws is logged and never reaches the agent's own loops. */
  tell<K extends keyof MicroAgentEvents>(event: K, ...args: MicroAgentEvents[K]): void {
    try {
      (this.emitter.emit as (e: K, ...a: MicroAgentEvents[K]) => boolean).call(this.emitter, event, ...args);
    } catch (err) {
      this.log.error({ event, reason: errorMessage(err) }, 'a listener of the agent threw');
    }
  }

  /** Records a problem for status() and tells `error` listeners; without one, nothing is thrown. */
  problem(source: ErrorSource, message: string, collector?: string): void {
    this.lastError = { source, message, at: new Date(this.clock.now()).toISOString(), ...(collector !== undefined ? { collector } : {}) };
    if (this.emitter.listenerCount('error') > 0) this.tell('error', new AgentError('AgentProblem', message, true), this.lastError);
  }
}

/** The `<collector>_*` keys of an effective configuration. */
export function settingsOf(values: Readonly<Record<string, string | number | boolean>>, collector: string): CollectorSettings {
  const prefix = `${collector}_`;
  return Object.fromEntries(Object.entries(values).filter(([k]) => k.startsWith(prefix)));
}

/** Every collector with keys in the twin (built-in names first, then the agent's own) with state and settings. */
export function collectorReports(host: CollectorHost, store: TwinConfigStore, names: readonly string[]): (CollectorReport & { name: string; settings: CollectorSettings })[] {
  const values = store.effective() as unknown as Record<string, string | number | boolean>;
  return [...new Set([...names, ...host.names()])].map((name) => ({
    name,
    ...(name === STATISTICS ? statisticsReport(values) : host.report(name)),
    settings: settingsOf(values, name),
  }));
}

/** Statistics are made by the pipeline, not by a collector. */
function statisticsReport(values: Readonly<Record<string, string | number | boolean>>): CollectorReport {
  return values['Statistics_Disabled'] === true ? { state: 'disabled' } : { state: 'running' };
}

export interface StatusParts {
  readonly lifecycle: AgentStatus['lifecycle'];
  readonly agentId: string;
  readonly endpoint: string | undefined;
  readonly tracker: StatusTracker;
  readonly decision: { latest_state: 'success' | 'failed'; latest_invalid_fields: string[] };
  /** Undefined before start() opened them. */
  readonly running: {
    readonly host: CollectorHost; readonly store: TwinConfigStore; readonly names: readonly string[];
    readonly outbox: OutboxStats; readonly delivery: DeliveryStats; readonly outboxDir: string | undefined;
  } | undefined;
  readonly now: number;
}

export function buildStatus(p: StatusParts): AgentStatus {
  const r = p.running;
  const collectors: Record<string, CollectorStatusEntry> = {};
  for (const c of r === undefined ? [] : collectorReports(r.host, r.store, r.names)) {
    const counts = r?.host.counters(c.name) ?? { emitted: 0, refused: 0 };
    collectors[c.name] = {
      state: c.state, ...(c.detail !== undefined ? { detail: c.detail } : {}), emitted: counts.emitted, refused: counts.refused, settings: c.settings,
    };
  }
  const o = r?.outbox;
  return {
    lifecycle: p.lifecycle,
    agentId: p.agentId,
    connection: { state: p.tracker.connection, endpoint: p.endpoint, since: p.tracker.since === undefined ? undefined : new Date(p.tracker.since).toISOString() },
    lastError: p.tracker.lastError,
    configuration: { ...p.decision, latest_invalid_fields: [...p.decision.latest_invalid_fields], version: r?.store.lastVersion() },
    collectors,
    outbox: {
      mode: o?.mode ?? 'memory', depth: o?.pendingMessages ?? 0, bytes: o?.pendingBytes ?? 0,
      oldestAgeMs: o?.oldestAppendedAt === undefined ? undefined : Math.max(0, p.now - o.oldestAppendedAt),
      droppedBySize: o?.droppedBySize ?? 0, droppedByAge: o?.droppedByAge ?? 0,
    },
    messages: { sent: r?.delivery.sent ?? 0, failedAttempts: r?.delivery.failed ?? 0 },
    deadLetters: {
      count: o?.deadLettered ?? 0,
      file: o?.mode === 'disk' && r?.outboxDir !== undefined ? join(r.outboxDir, DEAD_LETTER_NAME) : undefined,
    },
  };
}
