import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SimulatedHub, type CapturedMessage } from '../../src/sim-hub/index.js';
import { startRig } from '../support/agent-harness.js';
import { createEventStream } from '../support/event-stream.mjs';
import { tally, waitUntil } from '../support/stream-tally.js';

const PREFIX = 'outage';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('a 30-second hub outage in the middle of a steady stream', () => {
  it('delivers every event produced before, during and after the outage once the hub is back', async () => {
    const stream = createEventStream({ prefix: PREFIX, ratePerSec: 40 });
    const rig = await startRig({ twinDefaults: { CollectorsCore_PriorityIntervals: '1s,1s,1s' }, collectorSet: { Stream: stream.factory } });
    let revived: SimulatedHub | undefined;
    try {
      const { hub, identity } = rig;
      await waitUntil(() => tally(hub.messages(), PREFIX).hits > 0, 15_000, 'the first stream message');
      await sleep(1_500);
      // Stopping the hub is the closest to a real outage: connects fail at TCP level and any PUBACK in flight is lost.
      const port = hub.port;
      await hub.stop();
      const producedAtOutage = stream.produced().total;
      const receivedBefore = tally(hub.messages(), PREFIX);
      await sleep(30_000);
      const producedDuringOutage = stream.produced().total - producedAtOutage;
      // Same port and certificates, same module key: the hub the agent knew, back after the outage.
      revived = await SimulatedHub.start({ port, stateDir: join(rig.dir, 'hub') });
      revived.createModule(identity.deviceId, identity.moduleId);
      revived.setModuleKey(identity.deviceId, identity.moduleId, identity.primaryKey);
      const after = revived;
      await waitUntil(() => tally(after.messages(), PREFIX).hits > 0, 40_000, 'delivery after the outage');
      await sleep(1_000);
      stream.pause();
      const produced = stream.produced();
      const all = (): CapturedMessage[] => [...hub.messages(), ...after.messages()];
      await waitUntil(() => tally(all(), PREFIX).hits >= produced.total, 20_000, 'every produced event at the hub');
      // A little longer, so an excess (double counting) would show too.
      await sleep(1_000);
      const received = tally(all(), PREFIX);
      const receivedAfter = tally(after.messages(), PREFIX);
      console.info(`[outage] produced ${produced.total} (unique ${produced.unique}, during outage ${producedDuringOutage}); received ${received.hits} `
        + `(before ${receivedBefore.hits}, after ${receivedAfter.hits}); duplicate messages ${received.duplicateMessages}`);
      expect(received.hits).toBe(produced.total);
      expect(received.seqs.size).toBe(produced.unique);
      expect(Math.max(...received.seqs)).toBe(produced.unique);
      expect(received.repeated).toEqual(produced.repeated);
      // What the outage held back reached the revived hub: it got at least everything produced while it was down.
      expect(receivedAfter.hits).toBeGreaterThanOrEqual(producedDuringOutage);
      // Only the message in flight when the hub died may arrive twice.
      expect(received.duplicateMessages).toBeLessThanOrEqual(1);
    } finally {
      stream.stopAll();
      await rig.close();
      await revived?.stop();
    }
  }, 90_000);
});
