/** SBoM events: one payload item per package, packed into events small enough that several fit one message. */
import type { CollectedEvent, EventCategory, PayloadItem } from '../../src/events/event.js';
import type { PackageChange } from './inventory-diff.js';
import type { PackageRecord } from './package-record.js';

export type SbomAction = 'Inventory' | PackageChange['action'];

/**
 * Serialized payload bytes per event. Well under the message budget (~258 KB), so the packer fills each message
 * with several whole events and never truncates one; a 2,000-package server makes about 10 events.
 */
export const MAX_EVENT_PAYLOAD_BYTES = 64 * 1024;

export function payloadItem(p: PackageRecord, action: SbomAction, previousVersion?: string): PayloadItem {
  const item: PayloadItem = {
    Name: p.name,
    Version: p.version,
    Vendor: p.vendor,
    Architecture: p.architecture,
    Source: p.source,
    Purl: p.purl,
    PackageManager: p.manager,
    Action: action,
  };
  if (previousVersion !== undefined) item['PreviousVersion'] = previousVersion;
  return item;
}

function sbomEvent(category: EventCategory, payload: PayloadItem[], time: number): CollectedEvent {
  return { name: 'SBoM', category, eventType: 'Security', payload, time };
}

/** Splits items into runs of at most `maxBytes` of JSON each (an item is never split). */
function chunk(items: readonly PayloadItem[], maxBytes: number): PayloadItem[][] {
  const chunks: PayloadItem[][] = [];
  let current: PayloadItem[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = Buffer.byteLength(JSON.stringify(item)) + 1;
    if (current.length > 0 && bytes + size > maxBytes) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/**
 * The full inventory as Periodic events. The first item of each event says which part of which inventory it is
 * (ExtraDetails InventoryDigest, Part, Parts, Packages), so the cloud side can tell a complete inventory.
 */
export function inventoryEvents(packages: readonly PackageRecord[], digest: string, time: number, maxBytes = MAX_EVENT_PAYLOAD_BYTES): CollectedEvent[] {
  const chunks = chunk(packages.map((p) => payloadItem(p, 'Inventory')), maxBytes - 256);
  return chunks.map((items, i) => {
    const [first, ...rest] = items;
    const marked: PayloadItem = {
      ...first!,
      ExtraDetails: { InventoryDigest: digest.slice(0, 32), Part: String(i + 1), Parts: String(chunks.length), Packages: String(packages.length) },
    };
    return sbomEvent('Periodic', [marked, ...rest], time);
  });
}

/** What changed, as Triggered events. */
export function changeEvents(changes: readonly PackageChange[], time: number, maxBytes = MAX_EVENT_PAYLOAD_BYTES): CollectedEvent[] {
  const items = changes.map((c) => payloadItem(c.package, c.action, c.previousVersion));
  return chunk(items, maxBytes).map((run) => sbomEvent('Triggered', run, time));
}
