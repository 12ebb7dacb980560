import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { SimulatedHub, type ModuleIdentity } from '../../src/sim-hub/index.js';
import { Message, openedClient, sdkClient, type ModuleClientT } from './sdk-module.js';

describe('simulated hub with the real azure-iot-device client', () => {
  let hub: SimulatedHub;
  let identity: ModuleIdentity;
  const clients: ModuleClientT[] = [];

  beforeEach(async () => {
    hub = await SimulatedHub.start();
    identity = hub.createModule('dev-1');
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close().catch(() => undefined)));
    await hub.stop();
  });

  it('hands out a module connection string that points the SDK at the local gateway', () => {
    expect(identity.moduleId).toBe('DefenderIotMicroAgent');
    expect(identity.connectionString).toBe(
      `HostName=sim-hub.azure-devices.net;DeviceId=dev-1;ModuleId=DefenderIotMicroAgent;`
      + `SharedAccessKey=${identity.primaryKey};GatewayHostName=localhost:${hub.port}`,
    );
    expect(hub.createModule('dev-1')).toEqual(identity);
  });

  it('captures a security message with its decoded property bag', async () => {
    const client = await openedClient(hub, identity);
    clients.push(client);
    expect(hub.connectedClients()).toEqual(['dev-1/DefenderIotMicroAgent']);

    const msg = new Message(JSON.stringify({ AgentId: 'a-1', Events: [] }));
    msg.setAsSecurityMessage();
    msg.contentType = 'application/json';
    msg.contentEncoding = 'utf-8';
    msg.messageId = 'm-1';
    msg.properties.add('alert type', 'x/y&z');
    await client.sendEvent(msg);

    const captured = await hub.waitForMessage((m) => m.properties['$.mid'] === 'm-1');
    expect(captured.deviceId).toBe('dev-1');
    expect(captured.moduleId).toBe('DefenderIotMicroAgent');
    expect(captured.properties).toMatchObject({
      '$.ifid': 'urn:azureiot:Security:SecurityAgent:1',
      '$.ct': 'application/json',
      '$.ce': 'utf-8',
      'alert type': 'x/y&z',
    });
    expect(JSON.parse(captured.body.toString())).toEqual({ AgentId: 'a-1', Events: [] });
    expect(captured.size).toBeGreaterThan(captured.body.length);
    expect(hub.messages({ deviceId: 'dev-1' })).toHaveLength(1);
    expect(hub.messages({ deviceId: 'other' })).toHaveLength(0);
  });

  it('refuses a client whose key does not match the module identity', async () => {
    const client = await sdkClient(hub, { ...identity, connectionString: identity.connectionString.replace(
      identity.primaryKey, randomBytes(32).toString('base64')) });
    await expect(client.open()).rejects.toThrow(/Not authorized|not authorized/);
    expect(hub.connectedClients()).toEqual([]);
  });

  it('accepts the client again after the module key is changed to the one it uses', async () => {
    const newKey = randomBytes(32).toString('base64');
    const refused = await sdkClient(hub, { ...identity, connectionString: identity.connectionString.replace(identity.primaryKey, newKey) });
    await expect(refused.open()).rejects.toThrow();
    hub.setModuleKey('dev-1', 'DefenderIotMicroAgent', newKey);
    const client = await sdkClient(hub, { ...identity, connectionString: identity.connectionString.replace(identity.primaryKey, newKey) });
    clients.push(client);
    await client.open();
    expect(hub.connectedClients()).toEqual(['dev-1/DefenderIotMicroAgent']);
  });

  it('refuses every connection while refuseAuth is on, and accepts again when it is off', async () => {
    hub.refuseAuth(true);
    const refused = await sdkClient(hub, identity);
    await expect(refused.open()).rejects.toThrow(/Not authorized|not authorized/);
    hub.refuseAuth(false);
    const client = await openedClient(hub, identity);
    clients.push(client);
    expect(hub.connectedClients()).toEqual(['dev-1/DefenderIotMicroAgent']);
  });

  it('refuses a module identity it does not know', async () => {
    const unknown = { ...identity, connectionString: identity.connectionString.replace('DeviceId=dev-1', 'DeviceId=ghost') };
    const client = await sdkClient(hub, unknown);
    await expect(client.open()).rejects.toThrow(/Not authorized|not authorized/);
  });

  it('leaves a message over 256 KB uncaptured (the SDK refuses it before sending)', async () => {
    const client = await openedClient(hub, identity);
    clients.push(client);
    await expect(client.sendEvent(new Message(Buffer.alloc(256 * 1024 + 1, 0x61)))).rejects.toThrow(/greater than 256KiB|too large/i);
    expect(hub.messages()).toHaveLength(0);
  });

  it('emits connect and disconnect with the module address', async () => {
    const events: string[] = [];
    hub.on('connect', (a: { deviceId: string; moduleId: string }) => events.push(`connect ${a.deviceId}/${a.moduleId}`));
    hub.on('disconnect', (a: { deviceId: string; moduleId: string }) => events.push(`disconnect ${a.deviceId}/${a.moduleId}`));
    const client = await openedClient(hub, identity);
    await client.close();
    await expect.poll(() => events).toEqual(['connect dev-1/DefenderIotMicroAgent', 'disconnect dev-1/DefenderIotMicroAgent']);
    expect(hub.connectedClients()).toEqual([]);
  });
});
