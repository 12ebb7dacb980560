import { describe, expect, it } from 'vitest';
import { startRig } from '../support/agent-harness.js';
import { nextReport, pushDesired, waitUntil } from '../support/twin-push.js';

describe('twin answers that are not JSON', () => {
  it('do not crash the agent: it reads the twin properly on a later attempt and accepts the next patch', async () => {
    const rig = await startRig();
    const { hub, identity, agent, logs } = rig;
    await hub.waitForReported(identity.deviceId, identity.moduleId, (r) => r['latest_state'] === 'success', 10_000);
    const accepted = await pushDesired(hub, identity, { Login_CacheSize: 333 });
    expect(accepted.report).toMatchObject({ latest_state: 'success' });
    const unhandled: unknown[] = [];
    const onUnhandled = (err: unknown): void => {
      unhandled.push(err);
    };
    process.on('uncaughtException', onUnhandled);
    process.on('unhandledRejection', onUnhandled);
    try {
      hub.sendRawTwinResponse(identity.deviceId, identity.moduleId, '{"desired": {"Login_CacheSize": 1,');
      const reread = nextReport(hub, identity, 30_000);
      hub.dropAllConnections(); // the agent reconnects and GETs the twin: first the garbage, then the real twin
      await waitUntil(() => logs.some((l) => l.msg === 'hub sent a twin response that is not JSON; treating it as a failed request'), 20_000);
      const after = await reread;
      expect(after.report).toMatchObject({ latest_state: 'success', latest_invalid_fields: [] });
      expect(agent.configuration().Login_CacheSize).toBe(333); // the garbage never became configuration

      const next = await pushDesired(hub, identity, { Login_CacheSize: 444 });
      expect(next.report).toMatchObject({ latest_state: 'success', latest_invalid_fields: [] });
      expect(agent.configuration().Login_CacheSize).toBe(444);
      expect(hub.connectedClients()).toHaveLength(1);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('uncaughtException', onUnhandled);
      process.off('unhandledRejection', onUnhandled);
    }
  }, 60_000);

  it('a desired push that is not JSON makes the agent read the full twin, so the change still takes effect', async () => {
    const rig = await startRig();
    const { hub, identity, agent, logs } = rig;
    await hub.waitForReported(identity.deviceId, identity.moduleId, (r) => r['latest_state'] === 'success', 10_000);
    const answer = nextReport(hub, identity, 10_000);
    hub.patchDesiredWithRawPush(identity.deviceId, identity.moduleId, { Login_CacheSize: 555 }, 'garbage, not JSON {');
    expect((await answer).report).toMatchObject({ latest_state: 'success', latest_invalid_fields: [] });
    expect(agent.configuration().Login_CacheSize).toBe(555);
    expect(logs.some((l) => String(l.msg).includes('desired-properties patch that is not JSON'))).toBe(true);
    expect(hub.connectedClients()).toHaveLength(1);
  }, 30_000);

  it('a reported update answered with 429 is retried, so the decision still reaches the hub', async () => {
    const rig = await startRig();
    const { hub, identity } = rig;
    await hub.waitForReported(identity.deviceId, identity.moduleId, (r) => r['latest_state'] === 'success', 10_000);
    hub.throttleTwin(1);
    hub.patchDesired(identity.deviceId, identity.moduleId, { Process_Mode: 7 });
    const reported = await hub.waitForReported(identity.deviceId, identity.moduleId, (r) => r['latest_state'] === 'failed', 10_000);
    expect(reported['latest_invalid_fields']).toEqual(['Process_Mode']);
  }, 30_000);
});
