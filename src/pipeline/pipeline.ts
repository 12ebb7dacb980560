/** Collectors -> aggregators -> (at each priority interval) packer -> outbox. The agent wires it. */
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { toWireEvent, type AgentIdentity } from '../events/envelope.js';
import type { CollectedEvent } from '../events/event.js';
import type { DeliveryStats } from '../outbox/delivery.js';
import type { Outbox } from '../outbox/outbox.js';
import { Aggregator, type HeldEvent } from './aggregator.js';
import { CheckpointFile, type Checkpoint } from './checkpoint.js';
import { CheckpointWriter } from './checkpoint-writer.js';
import { IOT_HUB_MAX_MESSAGE_BYTES, PROPERTY_MARGIN_BYTES, Packer } from './packer.js';
import {
  DEFAULT_START_JITTER_MS, PRIORITIES, PrioritySchedule, validateIntervals,
  type CollectorSchedule, type Priority, type PriorityIntervals,
} from './priority-schedule.js';
import { STATISTICS_COLLECTOR, StatisticsReporter, type MessageTotals } from './statistics.js';

export interface PipelineOptions {
  readonly clock: Clock;
  readonly log: Logger;
  readonly outbox: Outbox;
  readonly agent: AgentIdentity;
  /** The hub's limit for body plus properties; default 262144. */
  readonly maxMessageBytes?: number;
  /** Kept free for message properties; default 4096. The body budget is the difference. */
  readonly propertyMarginBytes?: number;
  readonly random?: () => number;
  /** Bound of the random first-send offset; default 30 s (the offset is also at most the interval). */
  readonly maxStartJitterMs?: number;
  /** Runs before a priority's events leave: the agent calls its snapshot collectors' collect() here. */
  readonly beforeSend?: (collectorNames: string[]) => Promise<void>;
  /** Called after messages reached the outbox. Optional: Delivery already wakes on outbox appends. */
  readonly afterSend?: () => void;
  /** Message counters for the MessageStatistics event. */
  readonly delivery?: { stats(): DeliveryStats };
  /** A collector's losses at its source since it started (kernel buffer overflows), for DroppedEventsStatistics. */
  readonly sourceOverflows?: (collector: string) => number;
  /** Where what the aggregators hold is checkpointed (restore() reads it back); none: memory only. */
  readonly checkpointPath?: string;
  /** Longest time between checkpoints while events arrive; default 30 s. Every send also writes one. */
  readonly checkpointIntervalMs?: number;
}

export const DEFAULT_CHECKPOINT_INTERVAL_MS = 30_000;

/** Events taken out of aggregators, per collector, whose messages are not in the outbox yet. */
type Batch = Map<string, CollectedEvent[]>;

export interface CollectorStats {
  readonly frequency: Priority;
  readonly cacheSize: number;
  /** Aggregated events waiting for the next send. */
  readonly pending: number;
  /** Events received since start (every hit counts). */
  readonly collected: number;
  /** Aggregated events dropped since start because the cache was full. */
  readonly dropped: number;
}

export interface PipelineStats {
  readonly collectors: Readonly<Record<string, CollectorStats>>;
  readonly messagesPacked: number;
  readonly eventsPacked: number;
  readonly eventsTruncated: number;
  readonly eventsDroppedOversize: number;
  /** Messages lost because the outbox refused them (e.g. disk full). */
  readonly messagesLostOnAppend: number;
  /** When each priority sends next (ms since epoch); absent before configure(). */
  readonly nextSendAt: Partial<Record<Priority, number>>;
}

/** Where events of a collector go when configure() did not name it (e.g. events before configure()). */
const FALLBACK_SCHEDULE = { frequency: 'Low', cacheSize: 256 } as const;

export class Pipeline {
  private readonly aggregators = new Map<string, Aggregator>();
  private schedules = new Map<string, CollectorSchedule>();
  private readonly schedule: PrioritySchedule;
  private readonly packer: Packer;
  private readonly statistics = new StatisticsReporter();
  private chain: Promise<void> = Promise.resolve();
  private stopping: Promise<void> | undefined;
  private readonly counts = { messagesPacked: 0, eventsPacked: 0, eventsTruncated: 0, eventsDroppedOversize: 0, messagesLostOnAppend: 0 };
  /** Drained batches until their messages are in the outbox: a checkpoint still covers them. */
  private readonly unsent = new Set<Batch>();
  /** Collectors whose full cache is already on its way; while it is, a full cache drops its oldest. */
  private readonly sendingEarly = new Set<string>();
  private readonly checkpoint: CheckpointWriter | undefined;

  constructor(private readonly opts: PipelineOptions) {
    let maxMessage = opts.maxMessageBytes ?? IOT_HUB_MAX_MESSAGE_BYTES;
    if (maxMessage > IOT_HUB_MAX_MESSAGE_BYTES) {
      opts.log.warn({ maxMessageBytes: maxMessage, limit: IOT_HUB_MAX_MESSAGE_BYTES }, `pipeline: maxMessageBytes is over IoT Hub's limit; using ${IOT_HUB_MAX_MESSAGE_BYTES}`);
      maxMessage = IOT_HUB_MAX_MESSAGE_BYTES;
    }
    const maxBody = maxMessage - (opts.propertyMarginBytes ?? PROPERTY_MARGIN_BYTES);
    this.packer = new Packer(opts.agent, maxBody, opts.log);
    this.schedule = new PrioritySchedule(opts.clock, opts.random ?? Math.random, opts.maxStartJitterMs ?? DEFAULT_START_JITTER_MS, (p) => {
      void this.enqueue(() => this.send(this.collectorsAt(p), true));
    });
    if (opts.checkpointPath !== undefined) {
      const file = new CheckpointFile(opts.checkpointPath, opts.log);
      this.checkpoint = new CheckpointWriter(file, () => this.held(), opts.clock, opts.log, opts.checkpointIntervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS);
    }
  }

  /** Puts back what the aggregators held at the last checkpoint (call before events arrive). */
  async restore(): Promise<void> {
    if (this.checkpoint === undefined) return;
    const held = await this.checkpoint.load();
    let events = 0;
    for (const [collector, list] of held) {
      (this.aggregators.get(collector) ?? this.adopt(collector)).restore(list);
      events += list.length;
    }
    if (events > 0) this.opts.log.info({ events, collectors: [...held.keys()] }, 'pipeline: restored the events held at the last checkpoint');
  }

  /**
   * (Re)schedules. Call flush() and wait for delivery before a change that should not mix old and new
   * settings. Including a schedule named `Statistics` turns the statistics events on (omit it when
   * `Statistics_Disabled`). Shrinking a cache drops (and counts) its oldest events at once.
   */
  configure(intervals: PriorityIntervals, collectors: readonly CollectorSchedule[]): void {
    if (this.stopping !== undefined) throw new Error('pipeline is stopped');
    validateIntervals(intervals);
    this.schedules = new Map(collectors.map((c) => [c.name, c]));
    for (const c of collectors) this.aggregators.get(c.name)?.setCacheSize(c.cacheSize);
    for (const [name, agg] of this.aggregators) {
      if (!this.schedules.has(name) && agg.size === 0) this.aggregators.delete(name);
    }
    this.schedule.apply(intervals);
  }

  /** Hot path: one map lookup and one aggregation step. Events after stop() are ignored. */
  ingest(collector: string, event: CollectedEvent): void {
    if (this.stopping !== undefined) return;
    const agg = this.aggregators.get(collector) ?? this.adopt(collector);
    agg.add(event);
    this.checkpoint?.markChanged();
    if (agg.isFull(this.packer.maxBodyBytes) && !this.sendingEarly.has(collector)) this.sendEarly(agg);
  }

  /**
   * Takes everything pending now and packs it into the outbox (without running snapshot collectors), behind the
   * sends already started. Events that arrive after the call are not in it, even when the caller stops waiting
   * for it (a configuration change under a storm): they never share a message with these.
   */
  flush(): Promise<void> {
    const batch: Batch = new Map();
    for (const agg of this.aggregators.values()) {
      this.warnDrops(agg);
      if (agg.size > 0) batch.set(agg.collector, agg.drain());
    }
    if (batch.size === 0) return this.enqueue(() => Promise.resolve());
    this.unsent.add(batch);
    return this.enqueue(() => this.packAndAppend(batch, []));
  }

  /** Resolves when every send started so far has reached the outbox and every checkpoint started is written. */
  async whenIdle(): Promise<void> {
    await this.chain;
    await this.checkpoint?.written();
  }

  /** Cancels the timers and flushes; idempotent, safe without configure(). */
  stop(): Promise<void> {
    if (this.stopping === undefined) {
      this.schedule.stop();
      this.checkpoint?.stopTimer();
      this.stopping = this.enqueue(() => this.send([...this.aggregators.keys()], false)).then(() => this.checkpoint?.save());
    }
    return this.stopping;
  }

  stats(): PipelineStats {
    const collectors: Record<string, CollectorStats> = {};
    for (const [name, agg] of this.aggregators) {
      const s = this.schedules.get(name) ?? FALLBACK_SCHEDULE;
      collectors[name] = { frequency: s.frequency, cacheSize: agg.capacity, pending: agg.size, collected: agg.collected, dropped: agg.dropped };
    }
    const nextSendAt: Partial<Record<Priority, number>> = {};
    for (const p of PRIORITIES) {
      const at = this.schedule.nextSendAt(p);
      if (at !== undefined) nextSendAt[p] = at;
    }
    return { collectors, ...this.counts, nextSendAt };
  }

  private adopt(collector: string): Aggregator {
    const cacheSize = this.schedules.get(collector)?.cacheSize ?? FALLBACK_SCHEDULE.cacheSize;
    const agg = new Aggregator(collector, cacheSize);
    this.aggregators.set(collector, agg);
    return agg;
  }

  /** Scheduled collectors of a priority; unscheduled ones that still hold events leave with Low. */
  private collectorsAt(priority: Priority): string[] {
    const names: string[] = [];
    for (const s of this.schedules.values()) if (s.frequency === priority) names.push(s.name);
    if (priority === FALLBACK_SCHEDULE.frequency) {
      for (const name of this.aggregators.keys()) if (!this.schedules.has(name)) names.push(name);
    }
    return names;
  }

  private async send(names: string[], periodic: boolean): Promise<void> {
    if (periodic && names.length > 0 && this.opts.beforeSend !== undefined) {
      try {
        await this.opts.beforeSend(names);
      } catch (err) {
        this.opts.log.warn({ err, collectors: names }, 'pipeline: beforeSend failed; sending what is pending');
      }
    }
    const batch: Batch = new Map();
    for (const name of names) {
      const agg = this.aggregators.get(name);
      if (agg === undefined) continue;
      this.warnDrops(agg);
      if (agg.size > 0) batch.set(name, agg.drain());
    }
    const statistics = periodic && names.includes(STATISTICS_COLLECTOR) && this.schedules.has(STATISTICS_COLLECTOR) ? this.statisticsEvents() : [];
    await this.packAndAppend(batch, statistics);
  }

  /** A full cache (a message's worth of events or CacheSize of them) leaves now instead of losing its oldest. */
  private sendEarly(agg: Aggregator): void {
    const name = agg.collector;
    this.sendingEarly.add(name);
    const batch: Batch = new Map([[name, agg.drain()]]);
    this.unsent.add(batch);
    void this.enqueue(() => this.packAndAppend(batch, []).finally(() => this.sendingEarly.delete(name)));
  }

  /** What would be lost with the process: held events, and drained ones not yet in the outbox (as sent, unmerged). */
  private held(): Checkpoint {
    const out: Checkpoint = new Map();
    const add = (name: string, list: readonly HeldEvent[]): void => {
      const existing = out.get(name);
      if (existing === undefined) out.set(name, [...list]);
      else existing.push(...list);
    };
    for (const batch of this.unsent) {
      for (const [name, events] of batch) add(name, events.map((e) => ({ event: withoutKey(e), count: 1, first: e.time, last: e.time })));
    }
    for (const [name, agg] of this.aggregators) if (agg.size > 0) add(name, agg.held());
    return out;
  }

  private warnDrops(agg: Aggregator): void {
    const dropped = agg.takeDroppedSinceWarning();
    if (dropped === 0) return;
    this.opts.log.warn(
      { collector: agg.collector, dropped, cacheSize: agg.capacity },
      `${agg.collector}: cache full, dropped ${dropped} oldest events this interval; consider raising ${agg.collector}_CacheSize`,
    );
  }

  private statisticsEvents(): CollectedEvent[] {
    // Every scheduled collector is reported, with zeros when it emitted nothing.
    const names = new Set([...this.schedules.keys(), ...this.aggregators.keys()]);
    const collectors = [...names].map((name) => ({
      collector: name,
      frequency: (this.schedules.get(name) ?? FALLBACK_SCHEDULE).frequency,
      collected: this.aggregators.get(name)?.collected ?? 0,
      dropped: this.aggregators.get(name)?.dropped ?? 0,
      sourceOverflows: this.opts.sourceOverflows?.(name) ?? 0,
    }));
    const d = this.opts.delivery?.stats();
    const o = this.opts.outbox.stats();
    const messages: MessageTotals = {
      sent: d?.sent ?? 0, sentUnder4KB: d?.sentUnder4KB ?? 0, failed: d?.failed ?? 0,
      droppedBySize: o.droppedBySize, droppedByAge: o.droppedByAge, corruptSkipped: o.corruptSkipped,
      deadLettered: o.deadLettered, unreadableSkipped: o.unreadableSkipped,
      eventsTruncated: this.counts.eventsTruncated, eventsDroppedOversize: this.counts.eventsDroppedOversize,
    };
    return this.statistics.report(collectors, messages, this.opts.clock.now());
  }

  private async packAndAppend(batch: Batch, extra: readonly CollectedEvent[]): Promise<void> {
    const events = [...[...batch.values()].flat(), ...extra];
    if (events.length === 0) return;
    this.unsent.add(batch);
    try {
      await this.append(events);
    } finally {
      this.unsent.delete(batch);
      void this.checkpoint?.save();
    }
  }

  private async append(events: CollectedEvent[]): Promise<void> {
    const packed = this.packer.pack(events.map((e) => toWireEvent(e)));
    this.counts.eventsTruncated += packed.truncated;
    this.counts.eventsDroppedOversize += packed.dropped;
    this.counts.eventsPacked += packed.events;
    this.counts.messagesPacked += packed.messages.length;
    try {
      await this.opts.outbox.append(packed.messages);
      this.opts.afterSend?.();
    } catch (err) {
      this.counts.messagesLostOnAppend += packed.messages.length;
      this.opts.log.error({ err, messages: packed.messages.length, events: packed.events }, 'pipeline: outbox refused messages; they are lost');
    }
  }

  private enqueue(task: () => Promise<void>): Promise<void> {
    const run = this.chain.then(task).catch((err: unknown) => {
      this.opts.log.error({ err }, 'pipeline: send failed');
    });
    this.chain = run;
    return run;
  }
}

function withoutKey(event: CollectedEvent): CollectedEvent {
  const { aggregationKey: _key, ...rest } = event;
  return rest;
}
