/** The event model shared by collectors, the pipeline and the message envelope. */

export type EventCategory = 'Periodic' | 'Triggered';
export type EventType = 'Security' | 'Operational' | 'Diagnostic';

/** One payload item: flat fields of the event's schema, plus an optional string map. */
export type PayloadValue = string | number | boolean | Record<string, string>;
export type PayloadItem = { [field: string]: PayloadValue };

/** What a collector emits: the envelope adds Id, timestamps and IsEmpty when it is packed. */
export interface CollectedEvent {
  /** The event's `Name`, e.g. `ProcessCreate`; official names validate against the official schema. */
  readonly name: string;
  readonly category: EventCategory;
  readonly eventType: EventType;
  /** Empty only for Periodic events (IsEmpty: true). */
  readonly payload: readonly PayloadItem[];
  /** When the collector observed it, ms since the epoch (from the injected clock). */
  readonly time: number;
  /** Defaults to "1.0". */
  readonly payloadSchemaVersion?: string;
  /**
   * Identical events (same key, same collector) are merged by the aggregator into one with a hit
   * count. Undefined means the event is never merged (snapshots, heartbeats).
   */
  readonly aggregationKey?: string;
}

/** `ExtraDetails` keys the aggregator adds to an aggregated payload item. */
export const AGGREGATION_DETAILS = ['HitCount', 'StartTimeUtc', 'EndTimeUtc'] as const;
