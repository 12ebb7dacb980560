import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { silentLogger } from '../../src/log.js';
import { openOutbox } from '../../src/outbox/open-outbox.js';
import { scanRecords } from '../../src/outbox/segment-file.js';
import { eventsOf, startRig } from '../support/agent-harness.js';
import { waitUntil } from '../support/stream-tally.js';

const REFUSED = 'delivery: the hub refuses this message; moved to the dead-letter file, sending the ones behind it';
const HUB_REFUSED = 'message over 256 KB: closing the connection';

describe('a message IoT Hub refuses by closing the connection', () => {
  it('goes to the dead-letter file after a few dropped connections, and the message behind it arrives', async () => {
    const rig = await startRig({}, { startAgent: false });
    const outboxDir = join(rig.dir, 'agent', 'outbox');
    // Left by an earlier run: a body just under 256 KB, which the security-message properties push over the hub's limit.
    const oversized = Buffer.from(JSON.stringify({ padding: 'a'.repeat(262_100) }));
    const behind = Buffer.from(JSON.stringify({ marker: 'behind-the-refused-one' }));
    expect(oversized.length).toBeLessThanOrEqual(262_144);
    const seed = await openOutbox({ dir: outboxDir, messageTimeoutMs: 3_600_000, clock: systemClock, log: silentLogger() });
    await seed.append([oversized, behind]);
    await seed.close();

    await rig.agent.start();
    await rig.hub.waitForMessage((m) => m.body.equals(behind), 80_000);
    const refusals = rig.logs.filter((l) => l.msg === REFUSED);
    expect(refusals).toHaveLength(1);
    expect(refusals[0]).toMatchObject({ attempts: 3, bytes: oversized.length });
    expect(rig.hub.messages().some((m) => m.body.length >= oversized.length)).toBe(false);
    // Published once per attempt of the delivery loop: the SDK's own retry never resends it.
    expect(rig.hubLogs.filter((l) => l.msg === HUB_REFUSED)).toHaveLength(3);

    const file = await readFile(join(outboxDir, 'dead-letter.log'));
    const { records } = scanRecords(file);
    expect(records).toHaveLength(1);
    const record = records[0];
    expect(record && file.subarray(record.bodyOffset, record.bodyOffset + record.bodyLength).equals(oversized)).toBe(true);

    // The Statistics collector (Low: 3 s here) counts it inside the official MessageStatistics schema.
    const deadLettered = (): number => rig.hub.messages().flatMap((m) => eventsOf(m.body) ?? []).filter((e) => e.Name === 'MessageStatistics')
      .map((e) => Number((e['Payload'] as { ExtraDetails?: Record<string, string> }[])[0]?.ExtraDetails?.['DeadLettered'] ?? 0))
      .reduce((a, b) => a + b, 0);
    await waitUntil(() => deadLettered() === 1, 20_000, 'MessageStatistics with DeadLettered 1');
    // Once it is set aside the link is stable: the SDK never publishes the refused message again (delivery owns
    // retries), so no other message lost a connection under it.
    const drops = rig.logs.filter((l) => String(l['reason']).startsWith('ConnectionLostError')).map((l) => l['seq']);
    expect(drops.length).toBeGreaterThanOrEqual(2);
    expect(new Set(drops)).toEqual(new Set([1]));
  }, 120_000);
});
