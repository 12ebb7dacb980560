import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AgentProblem, ConnectedEvent, DisconnectedEvent, MessageSentEvent } from '../../src/agent-events.js';
import { systemClock } from '../../src/clock.js';
import { parseConnectionString } from '../../src/hub/connection-string.js';
import { silentLogger } from '../../src/log.js';
import { openOutbox } from '../../src/outbox/open-outbox.js';
import { startRig } from '../support/agent-harness.js';
import { waitUntil } from '../support/twin-push.js';

describe('agent.status() and the typed events a host program sees', () => {
  it('reports connection, collectors with counters, outbox and dead letters, and fires the events with their payloads', async () => {
    const rig = await startRig({}, { startAgent: false });
    const { hub, identity, agent } = rig;
    const outboxDir = join(rig.dir, 'agent', 'outbox');
    // Left by an earlier run: a body over IoT Hub's 256 KB limit, which is dead-lettered without a send.
    const seed = await openOutbox({ dir: outboxDir, messageTimeoutMs: 3_600_000, clock: systemClock, log: silentLogger() });
    await seed.append([Buffer.alloc(262_145, 0x20), Buffer.from('{"marker":"behind"}')]);
    await seed.close();

    const before = agent.status();
    expect(before).toMatchObject({ lifecycle: 'new', connection: { state: 'disconnected', since: undefined }, lastError: undefined, collectors: {} });
    const connected: ConnectedEvent[] = [];
    const disconnected: DisconnectedEvent[] = [];
    const sent: MessageSentEvent[] = [];
    const problems: { error: Error; problem: AgentProblem }[] = [];
    agent.on('connected', (e) => connected.push(e));
    agent.on('disconnected', (e) => disconnected.push(e));
    agent.on('message-sent', (e) => sent.push(e));
    // A host listener that throws is logged and changes nothing for the agent.
    agent.on('message-sent', () => {
      throw new Error('bug in the host program');
    });
    agent.on('error', (error, problem) => problems.push({ error, problem }));
    await agent.start();
    expect(['connecting', 'connected']).toContain(agent.status().connection.state);

    await hub.waitForMessage((m) => m.body.toString('utf8') === '{"marker":"behind"}', 15_000);
    await waitUntil(() => sent.length >= 2, 15_000);
    const cs = parseConnectionString(identity.connectionString);
    expect(connected[0]).toEqual({ endpoint: cs.gatewayHostName ?? cs.hostName, deviceId: identity.deviceId, moduleId: identity.moduleId });
    expect(sent[0]).toEqual({ bytes: 19, queuedMs: expect.any(Number) as number, pending: expect.any(Number) as number });
    expect(sent.every((s) => s.bytes > 0 && s.queuedMs >= 0 && s.pending >= 0)).toBe(true);
    const dead = problems.find((p) => p.problem.source === 'delivery');
    expect(dead?.error).toBeInstanceOf(Error);
    expect(dead?.problem.message).toMatch(/^the hub refuses a message; moved to the dead-letter file: MessageTooLargeError/);

    await waitUntil(() => agent.status().messages.sent >= 2, 10_000);
    const status = agent.status();
    expect(status).toMatchObject({
      lifecycle: 'running', agentId: agent.id,
      connection: { state: 'connected', endpoint: connected[0]?.endpoint },
      configuration: { latest_state: 'success', latest_invalid_fields: [] },
      deadLetters: { count: 1, file: join(outboxDir, 'dead-letter.log') },
      outbox: { mode: 'disk' },
    });
    expect(status.lastError).toEqual(dead?.problem);
    expect(rig.logs.filter((l) => l.msg === 'a listener of the agent threw' && l['event'] === 'message-sent').length).toBeGreaterThan(0);
    expect(status.messages.sent).toBe(sent.length);
    expect(status.collectors['Heartbeat']).toMatchObject({ state: 'running', refused: 0, settings: { Heartbeat_MessageFrequency: 'High' } });
    expect(status.collectors['Heartbeat']?.emitted).toBeGreaterThan(0);
    expect(status.collectors['Process']).toMatchObject({ state: 'disabled', emitted: 0 });
    expect(status.collectors['LogCollector']).toMatchObject({ state: 'unsupported' });
    expect(status.outbox.depth === 0 ? status.outbox.oldestAgeMs === undefined : (status.outbox.oldestAgeMs ?? -1) >= 0).toBe(true);

    await agent.stop();
    expect(disconnected).toEqual([{ reason: 'stopped' }]);
    expect(agent.status()).toMatchObject({ lifecycle: 'stopped', connection: { state: 'disconnected' } });
  }, 90_000);

  it('tells why connecting fails (error event, status), throws nothing for an error nobody listens to, and connects once fixed', async () => {
    const rig = await startRig({}, { startAgent: false });
    const { hub, identity } = rig;
    const realKey = identity.primaryKey;
    hub.setModuleKey(identity.deviceId, identity.moduleId, Buffer.alloc(32, 1).toString('base64'));
    // A second device whose key is wrong too, with no `error` listener.
    const other = hub.createModule('other-device');
    hub.setModuleKey(other.deviceId, other.moduleId, Buffer.alloc(32, 2).toString('base64'));
    const quiet = rig.makeAgent({ stateDir: join(rig.dir, 'quiet'), connectionString: other.connectionString });
    const problems: AgentProblem[] = [];
    rig.agent.on('error', (_error, problem) => problems.push(problem));
    await rig.agent.start();
    await quiet.start();
    await waitUntil(() => problems.length > 0 && quiet.status().lastError?.source === 'hub', 20_000);
    expect(problems[0]).toEqual({ source: 'hub', message: expect.stringMatching(/refused the credentials/) as string, at: expect.any(String) as string });
    expect(rig.agent.status()).toMatchObject({ lifecycle: 'running', connection: { state: 'connecting' }, lastError: { source: 'hub' } });
    expect(quiet.listenerCount('error')).toBe(0);
    hub.setModuleKey(identity.deviceId, identity.moduleId, realKey);
    await waitUntil(() => rig.agent.status().connection.state === 'connected', 40_000);
  }, 60_000);
});
