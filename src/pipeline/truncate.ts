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
  // Each pass removes at least the excess from the longest string: one UTF-16 unit is >= 1 JSON byte.
  for (let guard = 0; current.bytes > maxBytes && guard < 100_000; guard++) {
    const field = longestString(items);
    if (field === undefined || field.length === 0) break;
    field.set(cut(field.value, Math.max(0, field.length - (current.bytes - maxBytes))));
    current = serialize(shrunk);
  }
  // Many small fields: keep the first items rather than nothing.
  while (current.bytes > maxBytes && items.length > 1) {
    items.pop();
    current = serialize(shrunk);
  }
  return current.bytes <= maxBytes ? current : undefined;
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
