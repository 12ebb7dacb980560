/** Per-collector aggregation: identical events merge into one with a hit count; the cache is bounded. */
import type { CollectedEvent, PayloadItem, PayloadValue } from '../events/event.js';

interface Entry {
  readonly event: CollectedEvent;
  count: number;
  first: number;
  last: number;
}


export class Aggregator {
  /** Insertion order is age order: the first key is the oldest aggregated event. */
  private readonly entries = new Map<string | number, Entry>();
  /** Numeric keys for events that are never merged; a Map keeps number and string keys apart. */
  private unkeyedSeq = 0;
  /** Events received since creation (every hit counts). */
  collected = 0;
  /** Aggregated events dropped since creation because the cache was full. */
  dropped = 0;
  private droppedSinceWarning = 0;

  private cacheSize: number;

  constructor(
    readonly collector: string,
    cacheSize: number,
  ) {
    this.cacheSize = Math.max(1, Math.floor(cacheSize));
  }

  get capacity(): number {
    return this.cacheSize;
  }

  setCacheSize(cacheSize: number): void {
    this.cacheSize = Math.max(1, Math.floor(cacheSize));
    while (this.entries.size > this.cacheSize) this.dropOldest();
  }

  get size(): number {
    return this.entries.size;
  }

  add(event: CollectedEvent): void {
    this.collected++;
    const key = event.aggregationKey;
    if (key !== undefined) {
      const hit = this.entries.get(key);
      if (hit !== undefined) {
        hit.count++;
        if (event.time > hit.last) hit.last = event.time;
        else if (event.time < hit.first) hit.first = event.time;
        return;
      }
    }
    if (this.entries.size >= this.cacheSize) this.dropOldest();
    this.entries.set(key ?? this.unkeyedSeq++, { event, count: 1, first: event.time, last: event.time });
  }

  /** Takes every pending event out, aggregated ones carrying HitCount/StartTimeUtc/EndTimeUtc. */
  drain(): CollectedEvent[] {
    const out: CollectedEvent[] = [];
    for (const entry of this.entries.values()) {
      out.push(entry.event.aggregationKey === undefined ? entry.event : materialize(entry));
    }
    this.entries.clear();
    return out;
  }

  /** Drops counted since the previous call, for the once-per-interval warning. */
  takeDroppedSinceWarning(): number {
    const n = this.droppedSinceWarning;
    this.droppedSinceWarning = 0;
    return n;
  }

  private dropOldest(): void {
    const oldest = this.entries.keys().next();
    if (oldest.done === true) return;
    this.entries.delete(oldest.value);
    this.dropped++;
    this.droppedSinceWarning++;
  }
}

function materialize(entry: Entry): CollectedEvent {
  const details = {
    HitCount: String(entry.count),
    StartTimeUtc: new Date(entry.first).toISOString(),
    EndTimeUtc: new Date(entry.last).toISOString(),
  };
  // New objects: the collector's payload items may be shared with other events.
  const payload = entry.event.payload.map(
    (item): PayloadItem => ({ ...item, ExtraDetails: { ...stringMap(item['ExtraDetails']), ...details } }),
  );
  return { ...entry.event, time: entry.first, payload };
}

function stringMap(value: PayloadValue | undefined): Record<string, string> {
  return typeof value === 'object' && value !== null ? value : {};
}
