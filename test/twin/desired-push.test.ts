import { describe, expect, it } from 'vitest';
import { startRig } from '../support/agent-harness.js';
import { hasEvent, median, pushDesired, sleep } from '../support/twin-push.js';

/** The contract: a valid push is answered within 2 s, measured per push. */
const ANSWER_BUDGET_MS = 2_000;
/** Heartbeat_MessageFrequency High under the rig's "1s,2s,3s" intervals. */
const HEARTBEAT_INTERVAL_MS = 1_000;

describe('a valid desired push through the hub', () => {
  it('is answered with success within 2 s and Heartbeat_Disabled stops Heartbeat messages until re-enabled', async () => {
    const rig = await startRig();
    const { hub, identity, agent } = rig;
    await hub.waitForReported(identity.deviceId, identity.moduleId, (r) => r['latest_state'] === 'success', 10_000);
    await hub.waitForMessage((m) => hasEvent(m, 'Heartbeat'), 10_000);
    const latencies: number[] = [];

    const off = await pushDesired(hub, identity, { Heartbeat_Disabled: true });
    latencies.push(off.elapsedMs);
    expect(off.report).toMatchObject({ latest_state: 'success', latest_invalid_fields: [] });
    expect(off.elapsedMs).toBeLessThan(ANSWER_BUDGET_MS);
    expect(off.report['collectors']).toMatchObject({ Heartbeat: { state: 'disabled' } });
    expect(agent.configuration().Heartbeat_Disabled).toBe(true);

    // More than three intervals: nothing with a Heartbeat event arrives after the success report...
    await sleep(3.5 * HEARTBEAT_INTERVAL_MS);
    const after = hub.messages().filter((m) => m.receivedAt > off.at);
    expect(after.filter((m) => hasEvent(m, 'Heartbeat'))).toEqual([]);
    // ...while the agent keeps sending its other messages.
    expect(after.length).toBeGreaterThan(0);

    const on = await pushDesired(hub, identity, { Heartbeat_Disabled: null });
    latencies.push(on.elapsedMs);
    expect(on.report).toMatchObject({ latest_state: 'success', latest_invalid_fields: [] });
    expect(on.elapsedMs).toBeLessThan(ANSWER_BUDGET_MS);
    expect(agent.configuration().Heartbeat_Disabled).toBe(false);
    const back = await hub.waitForMessage((m) => m.receivedAt > on.at && hasEvent(m, 'Heartbeat'), 3 * HEARTBEAT_INTERVAL_MS);
    expect(back.moduleId).toBe(identity.moduleId);

    // A few more pushes, each answered within the budget and in force when answered.
    for (const frequency of ['Medium', 'High', 'Low', 'High'] as const) {
      const answer = await pushDesired(hub, identity, { SystemInformation_MessageFrequency: frequency, Login_CacheSize: latencies.length + 100 });
      latencies.push(answer.elapsedMs);
      expect(answer.report).toMatchObject({ latest_state: 'success', latest_invalid_fields: [] });
      expect(answer.elapsedMs).toBeLessThan(ANSWER_BUDGET_MS);
      expect(agent.configuration().SystemInformation_MessageFrequency).toBe(frequency);
    }
    console.log(`valid push -> success report latency over ${latencies.length} pushes: median ${median(latencies).toFixed(1)} ms, max ${Math.max(...latencies).toFixed(1)} ms`);
  }, 60_000);
});
