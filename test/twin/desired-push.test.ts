import { describe, expect, it } from 'vitest';
import { startRig } from '../support/agent-harness.js';
import { hasEvent, median, pushDesired, waitUntil } from '../support/twin-push.js';

/** Heartbeat_MessageFrequency High under the rig's "1s,2s,3s" intervals. */
const HEARTBEAT_INTERVAL_MS = 1_000;

// Answer latency is measured by test/bench/twin-latency.bench.mjs; here only what the answers say and do.
describe('a valid desired push through the hub', () => {
  it('is answered with success, and Heartbeat_Disabled stops Heartbeat messages until re-enabled', async () => {
    const rig = await startRig();
    const { hub, identity, agent } = rig;
    await hub.waitForReported(identity.deviceId, identity.moduleId, (r) => r['latest_state'] === 'success', 30_000);
    await hub.waitForMessage((m) => hasEvent(m, 'Heartbeat'), 30_000);
    const latencies: number[] = [];

    const off = await pushDesired(hub, identity, { Heartbeat_Disabled: true });
    latencies.push(off.elapsedMs);
    expect(off.report).toMatchObject({ latest_state: 'success', latest_invalid_fields: [] });
    expect(off.report['collectors']).toMatchObject({ Heartbeat: { state: 'disabled' } });
    expect(agent.configuration().Heartbeat_Disabled).toBe(true);

    // Three SystemInformation messages (same High interval) arrive after the success report, and no Heartbeat...
    const after = () => hub.messages().filter((m) => m.receivedAt > off.at);
    await waitUntil(() => after().filter((m) => hasEvent(m, 'SystemInformation')).length >= 3, 30_000);
    expect(after().filter((m) => hasEvent(m, 'Heartbeat'))).toEqual([]);

    const on = await pushDesired(hub, identity, { Heartbeat_Disabled: null });
    latencies.push(on.elapsedMs);
    expect(on.report).toMatchObject({ latest_state: 'success', latest_invalid_fields: [] });
    expect(agent.configuration().Heartbeat_Disabled).toBe(false);
    const back = await hub.waitForMessage((m) => m.receivedAt > on.at && hasEvent(m, 'Heartbeat'), 10 * HEARTBEAT_INTERVAL_MS);
    expect(back.moduleId).toBe(identity.moduleId);

    // A few more pushes, each in force when answered.
    for (const frequency of ['Medium', 'High', 'Low', 'High'] as const) {
      const answer = await pushDesired(hub, identity, { SystemInformation_MessageFrequency: frequency, Login_CacheSize: latencies.length + 100 });
      latencies.push(answer.elapsedMs);
      expect(answer.report).toMatchObject({ latest_state: 'success', latest_invalid_fields: [] });
      expect(agent.configuration().SystemInformation_MessageFrequency).toBe(frequency);
    }
    console.log(`valid push -> success report latency over ${latencies.length} pushes: median ${median(latencies).toFixed(1)} ms, max ${Math.max(...latencies).toFixed(1)} ms`);
  }, 120_000);
});
