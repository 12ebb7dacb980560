/**
 * MicroAgent: the one place that wires collectors, pipeline, outbox and hub link, and owns the
 * lifecycle and the twin configuration contract.
 */
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { changeGateFor } from '../collectors/change-gate.js';
import type { CollectorFactory } from '../collectors/types.js';
import { connectionSource, resolveConnection, selectCollectors, type AgentInternals, type ConnectionSource, type MicroAgentOptions, type TunedAgentOptions } from './agent-options.js';
import type { MicroAgentEvents } from './agent-events.js';
import { buildStatus, collectorReports, settingsOf, StatusTracker, type AgentStatus } from './agent-status.js';
import { agentVersion, loadAgentId } from './agent-identity.js';
import { settledWithin, systemClock, type Clock } from './clock.js';
import { CollectorHost } from './collector-host.js';
import { TwinConfigStore } from './config/twin-config-store.js';
import { boundKey } from './config/desired-validation.js';
import { parsePriorityIntervals } from './config/priority-intervals.js';
import type { EffectiveConfig } from './config/twin-keys.js';
import { prepareCollectors, type PreparedCollectors } from './custom-collectors.js';
import { AgentError, UserInputError, errorMessage } from './errors.js';
import type { ModuleAddress } from './hub/client-source.js';
import { HubLink, type DesiredDocument } from './hub/hub-link.js';
import { silentLogger } from './log.js';
import { Delivery } from './outbox/delivery.js';
import { openOutbox } from './outbox/open-outbox.js';
import type { Outbox } from './outbox/outbox.js';
import { Pipeline } from './pipeline/pipeline.js';
import { collectorSchedules } from './pipeline/priority-schedule.js';
import { buildReported } from './reported-status.js';
import { ReportedWriter } from './reported-writer.js';

export type { MicroAgentEvents } from './agent-events.js';
const STATISTICS = 'Statistics';
/** stop(): how long pending messages may take to reach the hub, and the bound of each other wait. */
const STOP_DRAIN_MS = 2_000;
const STOP_WAIT_MS = 1_000;
/**
 * A configuration change: how long the messages queued before it may take to reach the hub before it applies. What is
 * not out by then still leaves ahead of the new configuration's messages; half a second keeps a storm's answers within 2 s.
 */
const FLUSH_BEFORE_APPLY_MS = 500;

export type { MicroAgentOptions } from './agent-options.js';

export class MicroAgent extends EventEmitter<MicroAgentEvents> {
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly opts: TunedAgentOptions;
  private readonly source: ConnectionSource;
  /** The connection string's identity; undefined with a host program's client. */
  private cs: ModuleAddress | undefined;
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
  private readonly reporter: ReportedWriter;
  private readonly collectors: PreparedCollectors;
  private readonly tracker: StatusTracker;

  /** Throws UserInputError for options that cannot work (no connection, a malformed connection string). */
  constructor(options: MicroAgentOptions, /** The CLI's and the tests' knobs; not public. */ internals: AgentInternals = {}) {
    super();
    this.opts = { ...options, ...internals };
    this.log = this.opts.log ?? silentLogger();
    this.clock = this.opts.clock ?? systemClock;
    this.source = connectionSource(this.opts);
    this.collectors = prepareCollectors(selectCollectors(this.opts), this.opts.customCollectors ?? []);
    this.tracker = new StatusTracker(this, this.clock, this.log);
    this.reporter = new ReportedWriter({
      update: (patch) => this.link.updateReported(patch), log: this.log, clock: this.clock, running: () => this.state === 'running',
      retry: () => this.enqueue(() => this.report()), written: (patch) => this.tracker.tell('reported', patch),
    });
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
        this.tracker.setConnection('connecting');
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
    const connection = await resolveConnection(this.source);
    this.cs = 'connectionString' in connection ? connection.connectionString : 'clientSource' in connection ? connection.clientSource.address : undefined;
    const id = await loadAgentId(stateDir);
    this.agentId = id.agentId;
    this.store = TwinConfigStore.load({
      stateDir, twinDefaults: this.opts.twinDefaults ?? {}, log: this.log, schema: this.collectors.twinSchema, collectorNames: this.collectors.collectorNames,
    });
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
      factories: this.collectors.factories, eventChecks: this.collectors.eventChecks,
      onProblem: (collector, message) => this.tracker.problem('collector', message, collector),
      hostRoot: this.opts.hostRoot ?? '/', stateDir, clock: this.clock, log: this.log, agentVersion: this.version,
      ...changeGateFor(this.clock),
      onEvent: (collector, event) => this.pipeline.ingest(collector, event),
      onStatusChange: () => {
        if (this.state === 'running') this.enqueue(() => this.report());
      },
      ...(this.opts.collectTimeoutMs !== undefined ? { callTimeoutMs: this.opts.collectTimeoutMs } : {}),
    });
    this.delivery = new Delivery({
      outbox: this.outbox, send: (body) => this.link.send(body), clock: this.clock, log: this.log, autoStart: false,
      onSent: (m) => this.tracker.tell('message-sent', { bytes: m.body.length, queuedMs: Math.max(0, this.clock.now() - m.appendedAt), pending: this.outbox.pending }),
      onDeadLetter: (_m, reason) => this.tracker.problem('delivery', `the hub refuses a message; moved to the dead-letter file: ${reason}`),
    });
    this.pipeline = new Pipeline({
      clock: this.clock, log: this.log, outbox: this.outbox,
      agent: { agentId: this.agentId, agentVersion: this.version },
      ...(this.opts.maxMessageBytes !== undefined ? { maxMessageBytes: this.opts.maxMessageBytes } : {}),
      ...(this.opts.random !== undefined ? { random: this.opts.random } : {}),
      beforeSend: (names) => this.host.collect(names),
      delivery: this.delivery,
      sourceOverflows: (name) => this.host.sourceOverflows(name),
      ...(stateDir !== undefined ? { checkpointPath: join(stateDir, 'pipeline-checkpoint.bin') } : {}),
    });
    await this.pipeline.restore();
    this.link = new HubLink({
      ...connection, transport: this.opts.transport ?? 'mqtt', log: this.log, clock: this.clock,
      ...(this.opts.ca !== undefined ? { ca: this.opts.ca } : {}),
      ...(this.opts.random !== undefined ? { random: this.opts.random } : {}),
      ...(this.opts.twinTimeoutMs !== undefined ? { twinTimeoutMs: this.opts.twinTimeoutMs } : {}),
    });
    this.checkStarting();
    await this.applyConfig(config, undefined);
    this.checkStarting();
    this.link.on('connected', () => {
      this.tracker.setConnection('connected');
      this.tracker.tell('connected', { endpoint: this.link.endpoint, deviceId: this.cs?.deviceId, moduleId: this.cs?.moduleId });
      this.delivery.kick();
    });
    this.link.on('disconnected', (reason) => {
      this.tracker.setConnection(this.state === 'running' ? 'connecting' : 'disconnected');
      this.delivery.connectionLost();
      this.tracker.tell('disconnected', { reason });
    });
    this.link.on('connect-failed', (reason) => this.tracker.problem('hub', reason));
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
      this.tracker.setConnection('disconnected');
      this.log.info('agent stopped');
    })();
    return this.stopping;
  }

  /**
   * Releases whatever start() opened (members are unset after a failed start). The hub link closes before
   * waiting for the message in flight, which stays in the outbox for the next run; every wait is bounded.
   */
  private async release(graceful: boolean): Promise<void> {
    this.reporter.cancel();
    await this.host?.stopAll();
    await this.pipeline?.stop();
    if (graceful && this.link?.isConnected()) await this.delivery.drain(STOP_DRAIN_MS);
    await this.link?.stop();
    await settledWithin(this.delivery?.stop(), STOP_WAIT_MS, this.clock);
    await settledWithin(this.queue, STOP_WAIT_MS, this.clock);
    await this.outbox?.close();
  }

  /** A snapshot of connection, collectors, outbox and dead letters; no I/O, safe in any state. */
  status(): AgentStatus {
    const opened = this.store !== undefined && this.host !== undefined && this.outbox !== undefined && this.delivery !== undefined;
    return buildStatus({
      lifecycle: this.state, agentId: this.agentId, endpoint: this.link?.endpoint, tracker: this.tracker,
      decision: this.lastDecision, now: this.clock.now(),
      running: opened ? {
        host: this.host, store: this.store, names: this.collectors.collectorNames, outbox: this.outbox.stats(), delivery: this.delivery.stats(),
        outboxDir: this.opts.stateDir === undefined ? undefined : join(this.opts.stateDir, 'outbox'),
      } : undefined,
    });
  }

  /** The effective configuration now in force. */
  configuration(): EffectiveConfig {
    return this.store.effective();
  }

  private enqueue(task: () => Promise<void>): void {
    this.queue = this.queue.then(task).catch((err: unknown) => {
      this.log.error({ reason: errorMessage(err) }, 'configuration update failed');
      this.tracker.problem('configuration', `configuration update failed: ${errorMessage(err)}`);
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
      this.tracker.tell('config-rejected', { version: evaluation.version, invalidFields: [...evaluation.invalidFields], reasons: evaluation.reasons.map((r) => ({ ...r })) });
      await this.report();
      return;
    }
    // Flushed, then applied, then persisted (commit writes the state dir), then reported.
    if (evaluation.changedKeys.length > 0) {
      this.host.hurry(true);
      const t0 = this.clock.now();
      let flushMs = 0;
      let queuedSent = false;
      try {
        queuedSent = await this.sendQueued(this.opts.flushBeforeApplyMs ?? FLUSH_BEFORE_APPLY_MS);
        flushMs = this.clock.now() - t0;
        if (this.state !== 'running') return;
        await this.applyConfig(evaluation.candidate.effective, evaluation.changedKeys);
      } finally {
        if (this.state === 'running') this.host.hurry(false);
      }
      this.log.info({ changed: evaluation.changedKeys.slice(0, 50), flushMs, queuedSent, applyMs: this.clock.now() - t0 - flushMs }, 'configuration applied');
    }
    this.store.commit(evaluation.candidate);
    this.lastDecision = { latest_state: 'success', latest_invalid_fields: [] };
    this.tracker.tell('config-applied', { version: evaluation.candidate.version, changedKeys: evaluation.changedKeys });
    await this.report();
  }

  /**
   * Before a change: what was collected under the old configuration is taken from the aggregators at once (nothing
   * collected under the new one joins it), packed into the outbox behind the sends already started, and, when
   * connected, the messages queued up to then are delivered. All of it within one budget: under a storm the outbox
   * write alone can take seconds, and the answer must not wait for it. What is not out by then still goes out ahead
   * of the new configuration's messages (the outbox is durable, first in, first out). True when all of it went out.
   */
  private async sendQueued(budgetMs: number): Promise<boolean> {
    const deadline = this.clock.now() + budgetMs;
    let sent = false;
    const sending = this.pipeline.flush().then(async () => {
      const left = deadline - this.clock.now();
      if (this.link.isConnected() && left > 0) sent = await this.delivery.drain(left);
    });
    await settledWithin(sending, budgetMs, this.clock);
    return sent;
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
    const scheduled = [...this.host.names().filter((n) => this.host.isRunning(n)), ...(values['Statistics_Disabled'] === true ? [] : [STATISTICS])];
    this.pipeline.configure(parsePriorityIntervals(config.CollectorsCore_PriorityIntervals), collectorSchedules(scheduled, values));
    this.outbox.setMessageTimeout(config.IothubModule_MessageTimeout * 60_000);
  }

  /** Writes the reported properties (see ReportedWriter for retries). */
  private async report(): Promise<void> {
    await this.reporter.write(buildReported({
      decision: this.lastDecision,
      agent: { version: this.version, id: this.agentId, startTime: this.startedAt.toISOString(), transport: this.opts.transport ?? 'mqtt', outbox: this.outbox.mode },
      collectors: collectorReports(this.host, this.store, this.collectors.collectorNames),
    }));
  }
}

function stoppedError(message = 'the agent was stopped before it finished starting'): AgentError {
  return new AgentError('StoppedError', message, false);
}
