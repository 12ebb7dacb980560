import { describe, expect, it } from 'vitest';
import { messageValidator } from '../../src/events/message-schema.js';
import type { SecurityMessage } from '../../src/events/envelope.js';
import { officialProblems } from '../support/official-conformance.js';
import { eventsOf, startRig } from '../support/agent-harness.js';
import { waitUntil } from '../support/twin-push.js';

const SECURITY_IFID = 'urn:azureiot:Security:SecurityAgent:1';
describe('agent against the simulated hub (real SDK over TLS)', () => {
  it('connects as DefenderIotMicroAgent, reports success, and sends Heartbeat and SystemInformation as security messages', async () => {
    const rig = await startRig();
    const { hub, identity } = rig;
    expect(identity.moduleId).toBe('DefenderIotMicroAgent');
    const reported = await hub.waitForReported(identity.deviceId, identity.moduleId, (r) => r['latest_state'] === 'success', 10_000);
    expect(reported['latest_invalid_fields']).toEqual([]);
    expect(reported['agent']).toMatchObject({ id: rig.agent.id, transport: 'mqtt' });
    const hb = await hub.waitForMessage((m) => eventsOf(m.body).some((e) => e.Name === 'Heartbeat'), 10_000);
    const si = await hub.waitForMessage((m) => eventsOf(m.body).some((e) => e.Name === 'SystemInformation'), 10_000);
    const validator = messageValidator();
    for (const m of [hb, si]) {
      expect(m.moduleId).toBe('DefenderIotMicroAgent');
      expect(m.properties['$.ifid']).toBe(SECURITY_IFID);
      expect(m.properties['$.ct']).toBe('application/json');
      expect(m.properties['$.ce']).toBe('utf-8');
      const body = JSON.parse(m.body.toString('utf8')) as SecurityMessage;
      expect(body.AgentId).toBe(rig.agent.id);
      expect(validator.validate(body)).toEqual([]);
      expect(officialProblems(body)).toEqual([]);
    }
  });

  it('keeps retrying a wrong key with backoff, logs one clear reason, and connects once the key is fixed', async () => {
    const rig = await startRig({}, { startAgent: false });
    const { hub, identity } = rig;
    const realKey = identity.primaryKey;
    hub.setModuleKey(identity.deviceId, identity.moduleId, Buffer.alloc(32, 1).toString('base64'));
    const agent = rig.makeAgent({ random: Math.random });
    await agent.start();
    const refusals = (): typeof rig.logs => rig.logs.filter((l) => typeof l.msg === 'string' && l.msg.includes('refused the credentials'));
    await waitUntil(() => refusals().length >= 3, 40_000);
    // The same reason is a warning once, then debug; the backoff's growth is test/backoff.test.ts's.
    expect(refusals().filter((l) => l.level >= 40)).toHaveLength(1);
    expect(JSON.stringify(rig.logs)).not.toContain(realKey);
    hub.setModuleKey(identity.deviceId, identity.moduleId, realKey);
    await hub.waitForReported(identity.deviceId, identity.moduleId, (r) => r['latest_state'] === 'success', 40_000);
  }, 60_000);

  it('reconnects and reads the twin again after the hub drops every connection', async () => {
    const rig = await startRig();
    const { hub, identity, agent } = rig;
    await hub.waitForReported(identity.deviceId, identity.moduleId, (r) => r['latest_state'] === 'success', 10_000);
    let reports = 0;
    agent.on('reported', () => reports++);
    hub.dropAllConnections();
    await waitUntil(() => reports > 0, 20_000);
    hub.patchDesired(identity.deviceId, identity.moduleId, { Heartbeat_MessageFrequency: 'Low' });
    await waitUntil(() => agent.configuration().Heartbeat_MessageFrequency === 'Low', 10_000);
  }, 40_000);

  it('still receives desired pushes after the hub restarts with empty sessions', async () => {
    const rig = await startRig();
    const { hub, identity, agent } = rig;
    await hub.waitForReported(identity.deviceId, identity.moduleId, (r) => r['latest_state'] === 'success', 10_000);
    await hub.restart({ emptySessions: true });
    await waitUntil(() => hub.connectedClients().length > 0, 40_000);
    await waitUntil(() => {
      hub.patchDesired(identity.deviceId, identity.moduleId, { SystemInformation_MessageFrequency: 'Low' });
      return agent.configuration().SystemInformation_MessageFrequency === 'Low';
    }, 40_000, 2_000);
  }, 90_000);
});
