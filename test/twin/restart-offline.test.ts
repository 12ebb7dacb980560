import { describe, expect, it } from 'vitest';
import { startRig } from '../support/agent-harness.js';
import { pushDesired, sleep } from '../support/twin-push.js';

describe('restart with the hub unreachable', () => {
  it('runs a new agent on the same state dir with the last accepted configuration before any connection', async () => {
    const rig = await startRig();
    const { hub, identity } = rig;
    await hub.waitForReported(identity.deviceId, identity.moduleId, (r) => r['latest_state'] === 'success', 10_000);
    const accepted = await pushDesired(hub, identity, { Heartbeat_MessageFrequency: 'Low', Process_Disabled: true, Login_CacheSize: 777 });
    expect(accepted.report).toMatchObject({ latest_state: 'success', latest_invalid_fields: [] });
    // A later rejected patch must not be what the restarted agent runs with.
    const rejected = await pushDesired(hub, identity, { Login_CacheSize: 'big' });
    expect(rejected.report).toMatchObject({ latest_state: 'failed', latest_invalid_fields: ['Login_CacheSize'] });

    await rig.agent.stop();
    await hub.stop();

    // No twinDefaults this time: Process_Disabled and the rest can only come from the persisted configuration.
    const next = rig.makeAgent({ twinDefaults: {} });
    let connected = false;
    next.on('connected', () => {
      connected = true;
    });
    await next.start();
    const expected = { Heartbeat_MessageFrequency: 'Low', Process_Disabled: true, Login_CacheSize: 777 };
    expect(next.configuration()).toMatchObject(expected);
    expect(next.configuration().Login_Disabled).toBe(false); // the rig's twinDefaults are gone, as asked

    // Still so while the agent keeps failing to reach the hub.
    await sleep(1_500);
    expect(connected).toBe(false);
    expect(next.configuration()).toMatchObject(expected);
    expect(rig.logs.some((l) => l.level >= 40 && typeof l.msg === 'string' && /hub|connect/i.test(l.msg))).toBe(true);
  }, 30_000);
});
