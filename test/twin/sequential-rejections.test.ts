import { describe, expect, it } from 'vitest';
import { startRig } from '../support/agent-harness.js';
import { pushDesired } from '../support/twin-push.js';

describe('bad desired patches pushed one after another, never removed', () => {
  it('answers each with exactly its own invalid keys, and a valid patch afterwards succeeds', async () => {
    const rig = await startRig();
    const { hub, identity, agent } = rig;
    await hub.waitForReported(identity.deviceId, identity.moduleId, (r) => r['latest_state'] === 'success', 10_000);
    const before = agent.configuration();
    const cases: [Record<string, unknown>, string[]][] = [
      [{ Process_Mode: 7 }, ['Process_Mode']],
      [{ Heartbeat_MessageFrequency: 'high', Foo_Bar: 1 }, ['Foo_Bar', 'Heartbeat_MessageFrequency']],
      [{ CollectorsCore_PriorityIntervals: '120,30,1440', Login_Disabled: true }, ['CollectorsCore_PriorityIntervals']],
    ];
    for (const [patch, invalid] of cases) {
      const answer = await pushDesired(hub, identity, patch);
      expect(answer.report).toMatchObject({ latest_state: 'failed', latest_invalid_fields: invalid });
      expect(agent.configuration()).toEqual(before);
    }
    const ok = await pushDesired(hub, identity, { Heartbeat_MessageFrequency: 'Medium' });
    expect(ok.report).toMatchObject({ latest_state: 'success', latest_invalid_fields: [] });
    expect(agent.configuration().Heartbeat_MessageFrequency).toBe('Medium');
    expect(agent.configuration().Login_Disabled).toBe(before.Login_Disabled);
  });
});
