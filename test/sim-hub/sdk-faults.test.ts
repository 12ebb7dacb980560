import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SimulatedHub, type ModuleIdentity } from '../../src/sim-hub/index.js';
import { nextEvent, openedClient, within, type ModuleClientT, type TwinT } from './sdk-module.js';

const MODULE = 'DefenderIotMicroAgent';

describe('fault hooks against the real azure-iot-device client', () => {
  let hub: SimulatedHub;
  let identity: ModuleIdentity;
  let client: ModuleClientT;
  let twin: TwinT;
  let desired: Array<Record<string, unknown>>;

  beforeEach(async () => {
    hub = await SimulatedHub.start();
    identity = hub.createModule('dev-1');
    client = await openedClient(hub, identity);
    twin = await client.getTwin();
    desired = [];
    // A desired listener makes the SDK reconnect by itself after a retryable drop (reference gotcha 5).
    twin.on('properties.desired', (patch: Record<string, unknown>) => desired.push(patch));
    twin.on('error', () => undefined);
    await new Promise((r) => setTimeout(r, 200));
  });

  afterEach(async () => {
    await client.close().catch(() => undefined);
    await hub.stop();
  });

  it('drops every connection and the SDK reconnects with its session intact', async () => {
    const reconnected = nextEvent(hub, 'connect');
    hub.dropAllConnections();
    await reconnected;
    expect(hub.connectedClients()).toEqual([`dev-1/${MODULE}`]);
    hub.patchDesired('dev-1', MODULE, { Process_Disabled: true });
    await expect.poll(() => desired.some((p) => p['Process_Disabled'] === true)).toBe(true);
    const fresh = await client.getTwin();
    expect(fresh.properties.desired).toMatchObject({ Process_Disabled: true, $version: 2 });
  });

  it('restarts on the same port and keeps sessions, so twin calls keep working', async () => {
    const port = hub.port;
    const reconnected = nextEvent(hub, 'connect', 10_000);
    await hub.restart();
    expect(hub.port).toBe(port);
    await reconnected;
    const fresh = await client.getTwin();
    expect(fresh.properties.reported).toMatchObject({ $version: 1 });
    hub.patchDesired('dev-1', MODULE, { Login_Disabled: true });
    await expect.poll(() => desired.some((p) => p['Login_Disabled'] === true)).toBe(true);
  });

  it('restarts with empty sessions, after which the SDK never gets a twin answer (gotcha 3)', async () => {
    const reconnected = nextEvent(hub, 'connect', 10_000);
    await hub.restart({ emptySessions: true });
    await reconnected;
    expect(hub.connectedClients()).toEqual([`dev-1/${MODULE}`]);
    expect(await within(client.getTwin(), 1_000)).toBe('timeout');
    hub.patchDesired('dev-1', MODULE, { Login_Disabled: true });
    await new Promise((r) => setTimeout(r, 200));
    expect(desired.some((p) => p['Login_Disabled'] === true)).toBe(false);
  });
});
