import { describe, expect, it } from 'vitest';
import type { PackageRecord } from '../../../collectors/sbom/package-record.js';
import { changeEvents, inventoryEvents, MAX_EVENT_PAYLOAD_BYTES } from '../../../collectors/sbom/sbom-events.js';
import { toWireEvent } from '../../../src/events/envelope.js';
import { messageValidator } from '../../../src/events/message-schema.js';
import { IOT_HUB_MAX_MESSAGE_BYTES, Packer } from '../../../src/pipeline/packer.js';

const ours = messageValidator();
const AGENT = { agentId: '9c647395-b913-4997-a732-a7fe7303b649', agentVersion: '0.1.0' };

/** A Debian-server-sized inventory with realistic field lengths. */
function inventory(n: number): PackageRecord[] {
  return Array.from({ length: n }, (_, i) => {
    const name = `lib-package-number-${String(i).padStart(5, '0')}`;
    const version = `1:2.${i}.0-1+deb12u${i % 7}`;
    return {
      manager: 'dpkg', name, version, architecture: 'amd64', vendor: 'Debian Some Long Team Name <pkg-team-maintainers@lists.alioth.debian.org>',
      source: `src-${name}`, purl: `pkg:deb/debian/${name}@${encodeURIComponent(version)}?arch=amd64&distro=debian-12`,
    };
  });
}

describe('SBoM events', () => {
  it('splits a 3,000-package inventory into events that the packer puts into messages under 256 KB, none cut and none lost', () => {
    const packages = inventory(3000);
    const events = inventoryEvents(packages, 'ab'.repeat(32), Date.UTC(2026, 0, 1));
    expect(events.length).toBeGreaterThan(1);
    for (const e of events) expect(Buffer.byteLength(JSON.stringify(e.payload))).toBeLessThanOrEqual(MAX_EVENT_PAYLOAD_BYTES);
    const packed = new Packer(AGENT).pack(events.map((e) => toWireEvent(e)));
    expect(packed).toMatchObject({ events: events.length, truncated: 0, dropped: 0 });
    expect(packed.messages.length).toBeGreaterThan(1);
    const names: string[] = [];
    for (const m of packed.messages) {
      expect(m.length).toBeLessThanOrEqual(IOT_HUB_MAX_MESSAGE_BYTES);
      const body = JSON.parse(m.toString('utf8')) as { Events: { Payload: { Name: string }[] }[] };
      expect(ours.validate(body)).toEqual([]);
      for (const e of body.Events) for (const item of e.Payload) names.push(item.Name);
    }
    expect(names).toEqual(packages.map((p) => p.name));
  });

  it('marks the first item of each inventory part with the part number, the part count and the package count', () => {
    const events = inventoryEvents(inventory(800), 'cd'.repeat(32), 0);
    expect(events.map((e) => e.payload[0]?.['ExtraDetails'])).toEqual(events.map((_, i) => ({
      InventoryDigest: 'cd'.repeat(16), Part: String(i + 1), Parts: String(events.length), Packages: '800',
    })));
    expect(events.every((e) => e.category === 'Periodic' && e.name === 'SBoM' && e.eventType === 'Security')).toBe(true);
  });

  it('rejects an event that breaks the SBoM schema (an unknown action)', () => {
    const [event] = changeEvents([{ action: 'Installed', package: inventory(1)[0]! }], 0);
    const wire = toWireEvent(event!);
    const bad = { ...wire, Payload: [{ ...wire.Payload[0], Action: 'Reinstalled' }] };
    expect(ours.validate({ AgentVersion: '0.1.0', AgentId: AGENT.agentId, MessageSchemaVersion: '1.0', Events: [bad] }).length).toBeGreaterThan(0);
    expect(ours.validate({ AgentVersion: '0.1.0', AgentId: AGENT.agentId, MessageSchemaVersion: '1.0', Events: [wire] })).toEqual([]);
  });
});
