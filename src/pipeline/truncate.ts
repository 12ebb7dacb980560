/** Shrinks one event that is too large for any message: its longest strings are cut, and it is marked. */
import type { WireEvent } from '../events/envelope.js';
import type { PayloadItem } from '../events/event.js';

export const TRUNCATED_MARKER = 'Truncated';

export interface Serialized {
  readonly event: WireEvent;
  readonly json: string;
  readonly bytes: number;
}

interface StringField {
  readonly length: number;
  readonly value: string;
  set(value: string): void;
}

/**
 * Returns the event cut down to at most `maxBytes` of UTF-8 JSON, every payload item carrying
 * ExtraDetails `Truncated: "true"`, or undefined when even that cannot fit (the caller counts a drop).
 * Many items: the first whole items that fit are kept (each still valid for its schema) and the first
 * says how many were left out; strings are cut only in what then remains too large.
 */
export function truncateEvent(event: WireEvent, maxBytes: number): Serialized | undefined {
  const items: PayloadItem[] = event.Payload.map((item) => {
    const copy: PayloadItem = { ...item };
    const extra = item['ExtraDetails'];
    copy['ExtraDetails'] = { ...(typeof extra === 'object' ? extra : {}), [TRUNCATED_MARKER]: 'true' };
    return copy;
  });
  const shrunk: WireEvent = { ...event, Payload: items };
  let current = serialize(shrunk);
  if (current.bytes > maxBytes && items.length > 1) {
    const kept = itemsThatFit(event, items, maxBytes);
    const left = items.length - kept;
    items.length = kept;
    const first = items[0]?.['ExtraDetails'];
    if (left > 0 && first !== undefined && typeof first === 'object') first['ItemsLeftOut'] = String(left);
    current = serialize(shrunk);
  }
  for (let guard = 0; current.bytes > maxBytes && guard < 1_000; guard++) {
    const field = longestString(items);
    if (field === undefined || field.length === 0) break;
    const fieldBytes = jsonBytes(field.value);
    field.set(prefixWithin(field.value, Math.max(0, fieldBytes - (current.bytes - maxBytes))));
    current = serialize(shrunk);
  }
  return current.bytes <= maxBytes ? current : undefined;
}

/** How many leading items fit beside the envelope (at least 1); each item is measured once. */
function itemsThatFit(event: WireEvent, items: readonly PayloadItem[], maxBytes: number): number {
  // Room for the ItemsLeftOut detail added to the first item.
  let total = Buffer.byteLength(JSON.stringify({ ...event, Payload: [] })) + 32;
  let kept = 0;
  for (const item of items) {
    const bytes = Buffer.byteLength(JSON.stringify(item)) + (kept > 0 ? 1 : 0);
    if (total + bytes > maxBytes) break;
    total += bytes;
    kept++;
  }
  return Math.max(1, kept);
}

/** Bytes of a string inside JSON, quotes excluded: escapes and multi-byte characters count in full. */
function jsonBytes(value: string): number {
  return Buffer.byteLength(JSON.stringify(value)) - 2;
}

/** The longest prefix whose JSON form takes at most `maxJsonBytes`, found by bisection over UTF-16 units. */
function prefixWithin(value: string, maxJsonBytes: number): string {
  let lo = 0;
  let hi = value.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (jsonBytes(cut(value, mid)) <= maxJsonBytes) lo = mid;
    else hi = mid - 1;
  }
  return cut(value, lo);
}

export function serialize(event: WireEvent): Serialized {
  const json = JSON.stringify(event);
  return { event, json, bytes: Buffer.byteLength(json, 'utf8') };
}

/** Cuts to `units` UTF-16 units without leaving half a surrogate pair (which JSON would escape). */
function cut(value: string, units: number): string {
  let end = Math.min(units, value.length);
  const last = value.charCodeAt(end - 1);
  if (end > 0 && last >= 0xd800 && last <= 0xdbff) end--;
  return value.slice(0, end);
}

function longestString(items: PayloadItem[]): StringField | undefined {
  let best: StringField | undefined;
  const consider = (value: string, set: (v: string) => void): void => {
    if (best === undefined || value.length > best.length) best = { length: value.length, value, set };
  };
  for (const item of items) {
    for (const [key, value] of Object.entries(item)) {
      if (typeof value === 'string') consider(value, (v) => (item[key] = v));
      else if (key === 'ExtraDetails' && typeof value === 'object') {
        for (const [k, v] of Object.entries(value)) {
          if (k !== TRUNCATED_MARKER) consider(v, (nv) => (value[k] = nv));
        }
      }
    }
  }
  return best;
}
