/**
 * MicroAgent through its public options only, against the simulated hub over TLS with the real azure-iot-device
 * client: a gateway's own ModuleClient handed in (and left open by stop()), a connection string file, and two
 * agents in one process.
 */
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import devicePkg from 'azure-iot-device';
import mqttPkg from 'azure-iot-device-mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { MicroAgent, UserInputError, type MicroAgentOptions } from '../../src/index.js';
import { SimulatedHub, type CapturedMessage } from '../../src/sim-hub/entry.js';
import { eventsOf } from '../support/agent-harness.js';

const { ModuleClient, Message } = devicePkg;
const M = 'DefenderIotMicroAgent';
const FAST = { CollectorsCore_PriorityIntervals: '1s,2s,3s', Heartbeat_MessageFrequency: 'High' };

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const clean of cleanups.splice(0).reverse()) await clean().catch(() => undefined);
});

async function setUp(): Promise<{ hub: SimulatedHub; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'embedding-api-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const hub = await SimulatedHub.start({ stateDir: join(dir, 'hub') });
  cleanups.push(() => hub.stop());
  return { hub, dir };
}

function agentOf(options: MicroAgentOptions): MicroAgent {
  const agent = new MicroAgent({ builtInCollectors: ['Heartbeat'], twinDefaults: FAST, ...options });
  cleanups.push(() => agent.stop());
  return agent;
}

const heartbeatFrom = (deviceId: string) => (m: CapturedMessage): boolean =>
  m.deviceId === deviceId && m.moduleId === M && eventsOf(m.body).some((e) => e.Name === 'Heartbeat');

describe('MicroAgent options', () => {
  it('uses a ModuleClient the gateway opened, and leaves it open and usable after stop()', async () => {
    const { hub, dir } = await setUp();
    const { connectionString } = hub.createModule('gateway-1');
    const client = ModuleClient.fromConnectionString(connectionString, mqttPkg.Mqtt);
    const gatewayErrors: Error[] = [];
    client.on('error', (err: Error) => gatewayErrors.push(err));
    await client.setOptions({ ca: hub.caPem });
    await client.open();
    cleanups.push(() => client.close());
    const listenersBefore = { error: client.listenerCount('error'), disconnect: client.listenerCount('disconnect'), connect: client.listenerCount('connect') };

    const agent = agentOf({ client, stateDir: join(dir, 'agent') });
    await agent.start();
    await hub.waitForMessage(heartbeatFrom('gateway-1'), 20_000);
    const reported = await hub.waitForReported('gateway-1', M, (r) => r['latest_state'] === 'success', 20_000);
    expect(reported['collectors']).toMatchObject({ Heartbeat: { state: 'running' } });

    await agent.stop();
    // The gateway's client is still connected, keeps only its own listeners, and sends.
    expect({ error: client.listenerCount('error'), disconnect: client.listenerCount('disconnect'), connect: client.listenerCount('connect') }).toEqual(listenersBefore);
    expect(hub.connectedClients()).toContain(`gateway-1/${M}`);
    const after = new Message('gateway module logic after agent.stop()');
    await client.sendEvent(after);
    const got = await hub.waitForMessage((m) => m.body.toString('utf8') === 'gateway module logic after agent.stop()', 10_000);
    expect(got.deviceId).toBe('gateway-1');
    expect(gatewayErrors).toEqual([]);
  }, 60_000);

  it('reads the connection string from a file, refusing one that others can read', async () => {
    const { hub, dir } = await setUp();
    const { connectionString } = hub.createModule('gateway-2');
    const file = join(dir, 'agent.cs');
    await writeFile(file, `${connectionString}\n`, { mode: 0o644 });
    const exposed = agentOf({ connectionStringFile: file, ca: hub.caPem });
    await expect(exposed.start()).rejects.toThrow(/is readable or writable by group or others \(mode 0644\)/);
    await chmod(file, 0o600);
    const agent = agentOf({ connectionStringFile: file, ca: hub.caPem });
    await agent.start();
    await hub.waitForMessage(heartbeatFrom('gateway-2'), 20_000);
  }, 60_000);

  it('refuses options that cannot work with a one-line UserInputError', () => {
    expect(() => new MicroAgent({})).toThrow(UserInputError);
    expect(() => new MicroAgent({ connectionString: 'HostName=h', connectionStringFile: '/x' })).toThrow('give exactly one of connectionString, connectionStringFile or client (got connectionString, connectionStringFile)');
    expect(() => new MicroAgent({ connectionString: 'nonsense' })).toThrow('malformed connection string');
    const cs = 'HostName=h.example;DeviceId=d;ModuleId=DefenderIotMicroAgent;SharedAccessKey=AAAA';
    expect(() => new MicroAgent({ connectionString: cs, builtInCollectors: ['Nope' as 'Heartbeat'] })).toThrow('builtInCollectors: unknown collector "Nope"');
  });

  it('runs two agents in one process with their own state dirs, identities and configurations', async () => {
    const { hub, dir } = await setUp();
    const a = agentOf({ connectionString: hub.createModule('twin-a').connectionString, ca: hub.caPem, stateDir: join(dir, 'a') });
    const b = agentOf({ connectionString: hub.createModule('twin-b').connectionString, ca: hub.caPem, stateDir: join(dir, 'b') });
    await Promise.all([a.start(), b.start()]);
    await Promise.all([hub.waitForMessage(heartbeatFrom('twin-a'), 20_000), hub.waitForMessage(heartbeatFrom('twin-b'), 20_000)]);
    expect(a.id).not.toBe(b.id);
    expect((await readFile(join(dir, 'a', 'agent-id'), 'utf8')).trim()).toBe(a.id);
    expect((await readFile(join(dir, 'b', 'agent-id'), 'utf8')).trim()).toBe(b.id);

    // A change for one reaches only that one.
    await hub.waitForReported('twin-a', M, (r) => r['latest_state'] === 'success', 20_000);
    hub.patchDesired('twin-a', M, { Heartbeat_MessageFrequency: 'Low' });
    await hub.waitForReported('twin-a', M, (r) => (r['collectors'] as Record<string, { settings?: Record<string, unknown> }> | undefined)?.['Heartbeat']?.settings?.['Heartbeat_MessageFrequency'] === 'Low', 20_000);
    expect(a.configuration().Heartbeat_MessageFrequency).toBe('Low');
    expect(b.configuration().Heartbeat_MessageFrequency).toBe('High');

    // Stopping one leaves the other sending.
    await a.stop();
    const sentBefore = hub.messages({ deviceId: 'twin-b' }).length;
    await hub.waitForMessage((m) => heartbeatFrom('twin-b')(m) && hub.messages({ deviceId: 'twin-b' }).indexOf(m) >= sentBefore, 20_000);
    expect(hub.connectedClients()).not.toContain(`twin-a/${M}`);
    expect(hub.connectedClients()).toContain(`twin-b/${M}`);
  }, 90_000);
});
