/**
 * The `Statistics` collector's events, in the official schemas: DroppedEventsStatistics (one payload
 * item per collector) and MessageStatistics. Counts are per period: since the previous statistics send.
 */
import type { CollectedEvent } from '../events/event.js';
import type { Priority } from './priority-schedule.js';

export const STATISTICS_COLLECTOR = 'Statistics';

export interface CollectorTotals {
  readonly collector: string;
  readonly frequency: Priority;
  /** Cumulative since start. */
  readonly collected: number;
  readonly dropped: number;
  /** Cumulative losses before the collector saw the events (kernel buffer overflows), each of unknown size. */
  readonly sourceOverflows?: number;
}

/** Cumulative message counters from the delivery loop, the outbox and the packer. */
export interface MessageTotals {
  readonly sent: number;
  readonly sentUnder4KB: number;
  readonly failed: number;
  readonly droppedBySize: number;
  readonly droppedByAge: number;
  readonly corruptSkipped: number;
  /** Messages the hub refused for good (dead-letter file). */
  readonly deadLettered: number;
  /** Outbox records that could not be read back and were skipped. */
  readonly unreadableSkipped: number;
  readonly eventsTruncated: number;
  readonly eventsDroppedOversize: number;
}

const ZERO_MESSAGES: MessageTotals = {
  sent: 0, sentUnder4KB: 0, failed: 0, droppedBySize: 0, droppedByAge: 0, corruptSkipped: 0, deadLettered: 0, unreadableSkipped: 0, eventsTruncated: 0, eventsDroppedOversize: 0,
};

/** Remembers what was last reported and turns cumulative totals into per-period events. */
export class StatisticsReporter {
  private lastCollectors = new Map<string, { collected: number; dropped: number; overflows: number }>();
  private lastMessages: MessageTotals = ZERO_MESSAGES;

  report(collectors: readonly CollectorTotals[], messages: MessageTotals, time: number): CollectedEvent[] {
    const next = new Map<string, { collected: number; dropped: number; overflows: number }>();
    const items = collectors.map((c) => {
      const prev = this.lastCollectors.get(c.collector) ?? { collected: 0, dropped: 0, overflows: 0 };
      const overflows = c.sourceOverflows ?? 0;
      next.set(c.collector, { collected: c.collected, dropped: c.dropped, overflows });
      // A restarted collector counts from 0 again: what it counted since is this period's.
      const lostAtSource = overflows >= prev.overflows ? overflows - prev.overflows : overflows;
      return {
        // The schema knows only two queues: High stays High, Medium and Low report as Low.
        Queue: c.frequency === 'High' ? 'High' : 'Low',
        CollectedEvents: Math.max(0, c.collected - prev.collected),
        DroppedEvents: Math.max(0, c.dropped - prev.dropped),
        // Events lost in the kernel cannot be counted, only the overflows that lost them: not in DroppedEvents.
        ExtraDetails: { Collector: c.collector, MessageFrequency: c.frequency, ...(lostAtSource > 0 ? { SourceOverflows: String(lostAtSource) } : {}) },
      };
    });
    this.lastCollectors = next;
    const d = (k: keyof MessageTotals): number => Math.max(0, messages[k] - this.lastMessages[k]);
    const messageItem = {
      MessagesSent: d('sent'),
      MessagesUnder4KB: d('sentUnder4KB'),
      TotalFailed: d('failed'),
      ExtraDetails: {
        DroppedBySize: String(d('droppedBySize')),
        DroppedByAge: String(d('droppedByAge')),
        CorruptRecordsSkipped: String(d('corruptSkipped')),
        DeadLettered: String(d('deadLettered')),
        UnreadableSkipped: String(d('unreadableSkipped')),
        EventsTruncated: String(d('eventsTruncated')),
        EventsDroppedOversize: String(d('eventsDroppedOversize')),
      },
    };
    this.lastMessages = messages;
    const base = { category: 'Periodic', eventType: 'Operational', time, payloadSchemaVersion: '1.0' } as const;
    return [
      { ...base, name: 'DroppedEventsStatistics', payload: items },
      { ...base, name: 'MessageStatistics', payload: [messageItem] },
    ];
  }
}
