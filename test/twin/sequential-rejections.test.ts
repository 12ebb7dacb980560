import { describe, expect, it } from 'vitest';
import { startRig } from '../support/agent-harness.js';
import { nextReport, pushDesired } from '../support/twin-push.js';

describe('bad desired patches pushed one after another, through the hub over TLS', () => {
  it('are judged on the merged document: a bad key fails every answer until removed, online or after a reconnect', async () => {
    const rig = await startRig();
    const { hub, identity, agent } = rig;
    await hub.waitForReported(identity.deviceId, identity.moduleId, (r) => r['latest_state'] === 'success', 20_000);
    const before = agent.configuration();
    const cases: [Record<string, unknown>, string[]][] = [
      [{ Process_Mode: 7 }, ['Process_Mode']],
      [{ Heartbeat_MessageFrequency: 'high', Foo_Bar: 1 }, ['Foo_Bar', 'Heartbeat_MessageFrequency', 'Process_Mode']],
      // Valid on its own, but the document the hub now holds still has the three bad keys.
      [{ CollectorsCore_PriorityIntervals: '1s,2s,4s', Login_CacheSize: 300 }, ['Foo_Bar', 'Heartbeat_MessageFrequency', 'Process_Mode']],
      [{ Foo_Bar: null, Heartbeat_MessageFrequency: 'Medium' }, ['Process_Mode']],
    ];
    for (const [patch, invalid] of cases) {
      const answer = await pushDesired(hub, identity, patch);
      expect(answer.report, JSON.stringify(patch)).toMatchObject({ latest_state: 'failed', latest_invalid_fields: invalid });
      expect(agent.configuration()).toEqual(before);
    }

    // The same document read in full after a reconnect gets the same answer.
    const reread = nextReport(hub, identity, 30_000);
    hub.dropAllConnections();
    expect((await reread).report).toMatchObject({ latest_state: 'failed', latest_invalid_fields: ['Process_Mode'] });
    expect(agent.configuration()).toEqual(before);

    // And so does a restarted agent that reads it from scratch.
    await agent.stop();
    const restarted = rig.makeAgent();
    const fresh = nextReport(hub, identity, 30_000);
    await restarted.start();
    expect((await fresh).report).toMatchObject({ latest_state: 'failed', latest_invalid_fields: ['Process_Mode'] });
    expect(restarted.configuration()).toEqual(before);

    // Removing the last bad key applies the whole document at once.
    const ok = await pushDesired(hub, identity, { Process_Mode: null });
    expect(ok.report).toMatchObject({ latest_state: 'success', latest_invalid_fields: [] });
    expect(restarted.configuration()).toMatchObject({ Heartbeat_MessageFrequency: 'Medium', Login_CacheSize: 300, CollectorsCore_PriorityIntervals: '1s,2s,4s' });
  }, 120_000);
});
