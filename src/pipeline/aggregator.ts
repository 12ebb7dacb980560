/** Per-collector aggregation: identical events merge into one with a hit count; the cache is bounded. */
import type { CollectedEvent, PayloadItem, PayloadValue } from '../events/event.js';

interface Entry {
  readonly event: CollectedEvent;
  count: number;
  first: number;
  last: number;
  /** Estimated wire bytes, for the size trigger. */
  readonly bytes: number;
}

/** What a checkpoint keeps of one aggregated event; an event without aggregationKey is never merged. */
export interface HeldEvent {
  readonly event: CollectedEvent;
  readonly count: number;
  readonly first: number;
  readonly last: number;
}

/** The envelope adds Id, two timestamps, IsEmpty and the names (~250 bytes); aggregation adds ~110 per item. */
const WIRE_OVERHEAD_BYTES = 250;
const AGGREGATION_DETAILS_BYTES = 110;

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
  private bytes = 0;

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

  /** Estimated bytes the held events take on the wire (UTF-16 units of their payload JSON plus overhead). */
  get heldBytes(): number {
    return this.bytes;
  }

  /** True when it holds a message's worth: as many events as the cache takes, or `maxBytes` of them. */
  isFull(maxBytes: number): boolean {
    return this.entries.size >= this.cacheSize || this.bytes >= maxBytes;
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
    this.insert({ event, count: 1, first: event.time, last: event.time });
  }

  /** Puts back events from a checkpoint, oldest first, without counting them again; the cache bound applies on the next add or setCacheSize. */
  restore(held: readonly HeldEvent[]): void {
    for (const h of held) {
      const key = h.event.aggregationKey;
      const hit = key === undefined ? undefined : this.entries.get(key);
      if (hit !== undefined) {
        hit.count += h.count;
        hit.first = Math.min(hit.first, h.first);
        hit.last = Math.max(hit.last, h.last);
      } else {
        this.insert({ ...h });
      }
    }
  }

  /** What it holds now, oldest first, without taking it out. */
  held(): HeldEvent[] {
    return [...this.entries.values()].map(({ event, count, first, last }) => ({ event, count, first, last }));
  }

  /** Takes every pending event out, aggregated ones carrying HitCount/StartTimeUtc/EndTimeUtc. */
  drain(): CollectedEvent[] {
    const out: CollectedEvent[] = [];
    for (const entry of this.entries.values()) {
      out.push(entry.event.aggregationKey === undefined ? entry.event : materialize(entry));
    }
    this.entries.clear();
    this.bytes = 0;
    return out;
  }

  /** Drops counted since the previous call, for the once-per-interval warning. */
  takeDroppedSinceWarning(): number {
    const n = this.droppedSinceWarning;
    this.droppedSinceWarning = 0;
    return n;
  }

  private dropOldest(): void {
    const oldest = this.entries.entries().next();
    if (oldest.done === true) return;
    const [key, entry] = oldest.value;
    this.bytes -= entry.bytes;
    this.entries.delete(key);
    this.dropped++;
    this.droppedSinceWarning++;
  }

  private insert(h: HeldEvent): void {
    const { event } = h;
    const bytes = estimateBytes(event);
    this.bytes += bytes;
    this.entries.set(event.aggregationKey ?? this.unkeyedSeq++, { event, count: h.count, first: h.first, last: h.last, bytes });
  }
}

/** A cheap estimate (no serialization on the hot path): field names and values in UTF-16 units plus JSON punctuation. */
function estimateBytes(event: CollectedEvent): number {
  let bytes = WIRE_OVERHEAD_BYTES;
  for (const item of event.payload) {
    for (const field in item) bytes += field.length + 6 + valueLength(item[field]);
    if (event.aggregationKey !== undefined) bytes += AGGREGATION_DETAILS_BYTES;
  }
  return bytes;
}

function valueLength(value: PayloadValue | undefined): number {
  if (typeof value === 'string') return value.length;
  if (typeof value !== 'object') return 12;
  let n = 2;
  for (const k in value) n += k.length + (value[k]?.length ?? 0) + 6;
  return n;
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
