/**
 * MicroAgent: the one place that wires collectors, pipeline, outbox and hub link, and owns the
 * lifecycle and the twin configuration contract.
 */
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { builtInCollectors } from '../collectors/registry.js';
import type { CollectorFactory, CollectorSettings } from '../collectors/types.js';
import { agentVersion, loadAgentId } from './agent-identity.js';
import { systemClock, type Cancel, type Clock } from './clock.js';
import { CollectorHost, type CollectorReport } from './collector-host.js';
import { TwinConfigStore } from './config/twin-config-store.js';
import { boundKey } from './config/desired-validation.js';
import { parsePriorityIntervals } from './config/priority-intervals.js';
import type { EffectiveConfig } from './config/twin-keys.js';
import { COLLECTOR_NAMES } from './config/twin-keys.js';
import { AgentError, NotConnectedError, UserInputError, errorMessage } from './errors.js';
import { backoffDelay } from './backoff.js';
import { parseConnectionString, type ModuleConnectionString } from './hub/connection-string.js';
import { HubLink, type DesiredDocument, type Transport } from './hub/hub-link.js';
import { silentLogger } from './log.js';
import { Delivery } from './outbox/delivery.js';
import { openOutbox } from './outbox/open-outbox.js';
import type { Outbox } from './outbox/outbox.js';
import { Pipeline } from './pipeline/pipeline.js';
import type { CollectorSchedule } from './pipeline/priority-schedule.js';
import { buildReported } from './reported-status.js';

const STATISTICS = 'Statistics';
/** stop(): how long pending messages may take to reach the hub, and the bound of each other wait. */
const STOP_DRAIN_MS = 2_000;
const STOP_WAIT_MS = 1_000;
/** A configuration change: how long the messages queued before it may take to reach the hub before it applies. */
const FLUSH_BEFORE_APPLY_MS = 1_000;

export interface MicroAgentOptions {
  /** Module connection string, as text or parsed. */
  connectionString: string | ModuleConnectionString;
  /** PEM of a CA to trust (IoT Edge gateway, simulated hub). */
  ca?: string;
  transport?: Transport;
  /** Agent id, accepted configuration, outbox, offsets. Without it everything lives in memory. */
  stateDir?: string;
  hostRoot?: string;
  log?: Logger;
  clock?: Clock;
  /** Device-side defaults for twin keys; the twin's desired properties override them. */
  twinDefaults?: Record<string, unknown>;
  /** Collectors by twin name; defaults to the built-in ones. Gateways add their own here. */
  collectors?: Readonly<Record<string, CollectorFactory>>;
  outboxMaxBytes?: number;
  maxMessageBytes?: number;
  /** Twin GET / reported PATCH timeout; after a timeout the link reconnects from scratch. Default 20 s. */
  twinTimeoutMs?: number;
  /** How long a configuration change waits for the messages queued before it to reach the hub. Default 1 s. */
  flushBeforeApplyMs?: number;
  /** Deadline of one collector start() or collect(); a collector past it is reported failed. Default 15 s. */
  collectTimeoutMs?: number;
  random?: () => number;
}

export interface MicroAgentEvents {
  /** The reported properties were written (after every configuration decision). */
  reported: [patch: Record<string, unknown>];
  connected: [];
  disconnected: [reason: string];
}

export class MicroAgent extends EventEmitter<MicroAgentEvents> {
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly cs: ModuleConnectionString;
  private readonly version = agentVersion();
  private readonly startedAt = new Date();
  private agentId = '';
  private store!: TwinConfigStore;
  private host!: CollectorHost;
  private outbox!: Outbox;
  private pipeline!: Pipeline;
  private delivery!: Delivery;
  private link!: HubLink;
  private queue: Promise<void> = Promise.resolve();
  private lastDecision: { latest_state: 'success' | 'failed'; latest_invalid_fields: string[] } = { latest_state: 'success', latest_invalid_fields: [] };
  private state: 'new' | 'starting' | 'running' | 'stopped' = 'new';
  private starting: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  private cancelReportRetry: Cancel | undefined;
  private reportFailures = 0;

  constructor(private readonly opts: MicroAgentOptions) {
    super();
    this.log = opts.log ?? silentLogger();
    this.clock = opts.clock ?? systemClock;
    this.cs = typeof opts.connectionString === 'string' ? parseConnectionString(opts.connectionString) : opts.connectionString;
  }

  get id(): string {
    return this.agentId;
  }

  /**
   * Starts with the last accepted configuration, before the hub is reached; connects in the background.
   * All or nothing: a failure part way (or stop() meanwhile) releases what was opened, and start() rejects.
   */
  start(): Promise<void> {
    if (this.state !== 'new') return this.starting ?? Promise.reject(stoppedError('the agent was stopped; create a new one to start again'));
    this.state = 'starting';
    this.starting = this.open().then(
      () => {
        if (this.state !== 'starting') throw stoppedError();
        this.state = 'running';
        this.link.start();
        this.log.info({ agentId: this.agentId, version: this.version, outbox: this.outbox.mode }, 'agent started');
      },
    ).catch(async (err: unknown) => {
      this.state = 'stopped';
      await this.release(false).catch((cleanup: unknown) => this.log.warn({ reason: errorMessage(cleanup) }, 'releasing a failed start failed'));
      throw err;
    });
    return this.starting;
  }

  private async open(): Promise<void> {
    const { stateDir } = this.opts;
    const id = await loadAgentId(stateDir);
    this.agentId = id.agentId;
    this.store = TwinConfigStore.load({ stateDir, twinDefaults: this.opts.twinDefaults ?? {}, log: this.log });
    const badDefaults = this.store.defaultsProblems();
    if (badDefaults.length > 0) {
      throw new UserInputError(`twinDefaults: ${badDefaults.map((p) => `${boundKey(p.key)}: ${p.reason}`).join('; ')}`);
    }
    const config = this.store.effective();
    this.checkStarting();
    this.outbox = await openOutbox({
      dir: stateDir === undefined ? undefined : join(stateDir, 'outbox'),
      maxBytes: this.opts.outboxMaxBytes ?? 50 * 1024 * 1024,
      messageTimeoutMs: config.IothubModule_MessageTimeout * 60_000,
      clock: this.clock, log: this.log,
    });
    this.host = new CollectorHost({
      factories: this.opts.collectors ?? builtInCollectors,
      hostRoot: this.opts.hostRoot ?? '/', stateDir, clock: this.clock, log: this.log, agentVersion: this.version,
      onEvent: (collector, event) => this.pipeline.ingest(collector, event),
      onStatusChange: () => {
        if (this.state === 'running') this.enqueue(() => this.report());
      },
      ...(this.opts.collectTimeoutMs !== undefined ? { callTimeoutMs: this.opts.collectTimeoutMs } : {}),
    });
    this.delivery = new Delivery({ outbox: this.outbox, send: (body) => this.link.send(body), clock: this.clock, log: this.log, autoStart: false });
    this.pipeline = new Pipeline({
      clock: this.clock, log: this.log, outbox: this.outbox,
      agent: { agentId: this.agentId, agentVersion: this.version },
      ...(this.opts.maxMessageBytes !== undefined ? { maxMessageBytes: this.opts.maxMessageBytes } : {}),
      ...(this.opts.random !== undefined ? { random: this.opts.random } : {}),
      beforeSend: (names) => this.host.collect(names),
      delivery: this.delivery,
      ...(stateDir !== undefined ? { checkpointPath: join(stateDir, 'pipeline-checkpoint.bin') } : {}),
    });
    await this.pipeline.restore();
    this.link = new HubLink({
      connectionString: this.cs, transport: this.opts.transport ?? 'mqtt', log: this.log, clock: this.clock,
      ...(this.opts.ca !== undefined ? { ca: this.opts.ca } : {}),
      ...(this.opts.random !== undefined ? { random: this.opts.random } : {}),
      ...(this.opts.twinTimeoutMs !== undefined ? { twinTimeoutMs: this.opts.twinTimeoutMs } : {}),
    });
    this.checkStarting();
    await this.applyConfig(config, undefined);
    this.checkStarting();
    this.link.on('connected', () => {
      this.emit('connected');
      this.delivery.kick();
    });
    this.link.on('disconnected', (reason) => this.emit('disconnected', reason));
    this.link.on('disconnected', () => this.delivery.connectionLost());
    this.link.on('twin', (desired) => this.enqueue(() => this.onDesired(desired, true)));
    this.link.on('desired', (patch) => this.enqueue(() => this.onDesired(patch, false)));
    this.delivery.start();
  }

  private checkStarting(): void {
    if (this.state !== 'starting') throw stoppedError();
  }

  /**
   * Flushes what is pending to the outbox, tries briefly to deliver it, and disconnects, within 10 s even
   * on a half-open connection. Idempotent; safe before, during and after a failed start().
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      const was = this.state;
      this.state = 'stopped';
      // A start in progress sees the state, releases what it opened and rejects; a collector start it
      // waits for is abandoned first.
      if (was === 'starting') {
        await this.host?.stopAll();
        await this.starting?.catch(() => undefined);
      }
      if (was !== 'running') return;
      await this.release(true);
      this.log.info('agent stopped');
    })();
    return this.stopping;
  }

  /**
   * Releases whatever start() opened (members are unset after a failed start). The hub link closes before
   * waiting for the message in flight, which stays in the outbox for the next run; every wait is bounded.
   */
  private async release(graceful: boolean): Promise<void> {
    this.cancelReportRetry?.();
    await this.host?.stopAll();
    await this.pipeline?.stop();
    if (graceful && this.link?.isConnected()) await this.delivery.drain(STOP_DRAIN_MS);
    await this.link?.stop();
    await settledWithin(this.delivery?.stop(), STOP_WAIT_MS, this.clock);
    await settledWithin(this.queue, STOP_WAIT_MS, this.clock);
    await this.outbox?.close();
  }

  /** The effective configuration now in force. */
  configuration(): EffectiveConfig {
    return this.store.effective();
  }

  private enqueue(task: () => Promise<void>): void {
    this.queue = this.queue.then(task).catch((err: unknown) => {
      this.log.error({ reason: errorMessage(err) }, 'configuration update failed');
    });
  }

  /** One desired document (full twin read) or patch: validate, flush, apply, persist, report. */
  private async onDesired(doc: DesiredDocument, full: boolean): Promise<void> {
    if (this.state !== 'running') return;
    const version = typeof doc['$version'] === 'number' ? doc['$version'] : undefined;
    const evaluation = full ? this.store.evaluateFull(doc, version) : this.store.evaluatePatch(doc, version);
    if (evaluation.kind === 'ignored') {
      if (full) await this.report();
      return;
    }
    if (evaluation.kind === 'invalid') {
      // The store has logged each key with its reason; the running configuration stays, the version counts as seen.
      this.store.recordRejected(evaluation);
      this.lastDecision = { latest_state: 'failed', latest_invalid_fields: evaluation.invalidFields };
      await this.report();
      return;
    }
    // Flushed, then applied, then persisted (commit writes the state dir), then reported.
    if (evaluation.changedKeys.length > 0) {
      // What was collected under the old configuration is packed into the outbox and sent first; a slow snapshot
      // does not hold up the change. Only the messages queued up to now are waited for, and briefly (skipped
      // offline): the outbox is durable and first in, first out, so they go out ahead of the new configuration's
      // anyway, and under a storm or a backlog a longer wait would only delay the answer.
      this.host.hurry(true);
      const t0 = this.clock.now();
      let flushMs = 0;
      try {
        await this.pipeline.flush();
        if (this.link.isConnected()) await this.delivery.drain(this.opts.flushBeforeApplyMs ?? FLUSH_BEFORE_APPLY_MS);
        flushMs = this.clock.now() - t0;
        if (this.state !== 'running') return;
        await this.applyConfig(evaluation.candidate.effective, evaluation.changedKeys);
      } finally {
        if (this.state === 'running') this.host.hurry(false);
      }
      this.log.info({ changed: evaluation.changedKeys.slice(0, 50), flushMs, applyMs: this.clock.now() - t0 - flushMs }, 'configuration applied');
    }
    this.store.commit(evaluation.candidate);
    this.lastDecision = { latest_state: 'success', latest_invalid_fields: [] };
    await this.report();
  }

  /** Starts or restarts the collectors whose keys changed (all when `changedKeys` is undefined) and reschedules. */
  private async applyConfig(config: EffectiveConfig, changedKeys: readonly string[] | undefined): Promise<void> {
    const restart = changedKeys === undefined ? new Set(this.host.names()) : this.store.changedCollectors(changedKeys);
    const values = config as unknown as Record<string, string | number | boolean>;
    for (const name of this.host.names()) {
      if (!restart.has(name)) continue;
      const disabled = values[`${name}_Disabled`] === true;
      await this.host.apply(name, settingsOf(values, name), !disabled);
    }
    this.pipeline.configure(parsePriorityIntervals(config.CollectorsCore_PriorityIntervals), this.schedules(values));
    this.outbox.setMessageTimeout(config.IothubModule_MessageTimeout * 60_000);
  }

  private schedules(values: Record<string, string | number | boolean>): CollectorSchedule[] {
    const names = [...this.host.names().filter((n) => this.host.isRunning(n)), ...(values['Statistics_Disabled'] === true ? [] : [STATISTICS])];
    return names.map((name) => ({
      name,
      frequency: (values[`${name}_MessageFrequency`] ?? 'Medium') as CollectorSchedule['frequency'],
      cacheSize: typeof values[`${name}_CacheSize`] === 'number' ? (values[`${name}_CacheSize`] as number) : 256,
    }));
  }

  /** Statistics are made by the pipeline, not by a collector. */
  private statisticsReport(): CollectorReport {
    return this.store.effective().Statistics_Disabled ? { state: 'disabled' } : { state: 'running' };
  }

  /** Writes the reported properties; a refused write (429, 5xx) is retried with backoff, an offline one after reconnecting. */
  private async report(): Promise<void> {
    this.cancelReportRetry?.();
    this.cancelReportRetry = undefined;
    const patch = buildReported({
      decision: this.lastDecision,
      agent: { version: this.version, id: this.agentId, startTime: this.startedAt.toISOString(), transport: this.opts.transport ?? 'mqtt', outbox: this.outbox.mode },
      collectors: [...new Set([...COLLECTOR_NAMES, ...this.host.names()])].map((name) => ({
        name,
        ...(name === STATISTICS ? this.statisticsReport() : this.host.report(name)),
        settings: settingsOf(this.store.effective() as unknown as Record<string, string | number | boolean>, name),
      })),
    });
    try {
      await this.link.updateReported(patch);
      this.reportFailures = 0;
      this.emit('reported', patch);
    } catch (err) {
      if (err instanceof NotConnectedError || this.state !== 'running') {
        this.log.warn({ reason: errorMessage(err) }, 'could not update reported properties; will report again after reconnecting');
        return;
      }
      const delay = backoffDelay(this.reportFailures++, { initialMs: 1_000, maxMs: 60_000 });
      this.log.warn({ reason: errorMessage(err), retryInMs: delay }, 'the hub refused the reported properties; retrying');
      this.cancelReportRetry = this.clock.setTimeout(() => this.enqueue(() => this.report()), delay);
    }
  }
}

function settingsOf(values: Record<string, string | number | boolean>, collector: string): CollectorSettings {
  const prefix = `${collector}_`;
  return Object.fromEntries(Object.entries(values).filter(([k]) => k.startsWith(prefix)));
}

function stoppedError(message = 'the agent was stopped before it finished starting'): AgentError {
  return new AgentError('StoppedError', message, false);
}

/** Waits for `p` to settle, at most `ms`; never rejects. */
async function settledWithin(p: Promise<unknown> | undefined, ms: number, clock: Clock): Promise<void> {
  if (p === undefined) return;
  let cancel: Cancel = () => undefined;
  const timeout = new Promise<void>((resolve) => {
    cancel = clock.setTimeout(resolve, ms);
  });
  await Promise.race([p.then(() => undefined, () => undefined), timeout]);
  cancel();
}
