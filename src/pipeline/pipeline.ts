/** Collectors -> aggregators -> (at each priority interval) packer -> outbox. The agent wires it. */
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { toWireEvent, type AgentIdentity } from '../events/envelope.js';
import type { CollectedEvent } from '../events/event.js';
import type { DeliveryStats } from '../outbox/delivery.js';
import type { Outbox } from '../outbox/outbox.js';
import { Aggregator } from './aggregator.js';
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
}

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

  constructor(private readonly opts: PipelineOptions) {
    const maxBody = (opts.maxMessageBytes ?? IOT_HUB_MAX_MESSAGE_BYTES) - (opts.propertyMarginBytes ?? PROPERTY_MARGIN_BYTES);
    this.packer = new Packer(opts.agent, maxBody, opts.log);
    this.schedule = new PrioritySchedule(opts.clock, opts.random ?? Math.random, opts.maxStartJitterMs ?? DEFAULT_START_JITTER_MS, (p) => {
      void this.enqueue(() => this.send(this.collectorsAt(p), true));
    });
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
    (this.aggregators.get(collector) ?? this.adopt(collector)).add(event);
  }

  /** Packs everything pending into the outbox now (without running snapshot collectors). */
  flush(): Promise<void> {
    return this.enqueue(() => this.send([...this.aggregators.keys()], false));
  }

  /** Resolves when every send started so far has reached the outbox. */
  whenIdle(): Promise<void> {
    return this.chain;
  }

  /** Cancels the timers and flushes; idempotent, safe without configure(). */
  stop(): Promise<void> {
    if (this.stopping === undefined) {
      this.schedule.stop();
      this.stopping = this.enqueue(() => this.send([...this.aggregators.keys()], false));
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
    const events: CollectedEvent[] = [];
    for (const name of names) {
      const agg = this.aggregators.get(name);
      if (agg === undefined) continue;
      this.warnDrops(agg);
      for (const e of agg.drain()) events.push(e);
    }
    if (periodic && names.includes(STATISTICS_COLLECTOR) && this.schedules.has(STATISTICS_COLLECTOR)) {
      for (const e of this.statisticsEvents()) events.push(e);
    }
    await this.packAndAppend(events);
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
    }));
    const d = this.opts.delivery?.stats();
    const o = this.opts.outbox.stats();
    const messages: MessageTotals = {
      sent: d?.sent ?? 0, sentUnder4KB: d?.sentUnder4KB ?? 0, failed: d?.failed ?? 0,
      droppedBySize: o.droppedBySize, droppedByAge: o.droppedByAge, corruptSkipped: o.corruptSkipped,
      eventsTruncated: this.counts.eventsTruncated, eventsDroppedOversize: this.counts.eventsDroppedOversize,
    };
    return this.statistics.report(collectors, messages, this.opts.clock.now());
  }

  private async packAndAppend(events: CollectedEvent[]): Promise<void> {
    if (events.length === 0) return;
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
