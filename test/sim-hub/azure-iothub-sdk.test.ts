/** The real azure-iothub SDK against the simulated hub's service API. */
import * as https from 'node:https';
import type { Duplex } from 'node:stream';
import iothub from 'azure-iothub';
import restPkg from 'azure-iothub/dist/common-http/rest_api_client.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedHub } from '../../src/sim-hub/index.js';

const { Registry, SharedAccessSignature } = iothub;
const { RestApiClient } = restPkg;

/** azure-iothub passes HostName to DNS and cannot take a port, so this agent dials the hub's port on loopback. */
class LoopbackAgent extends https.Agent {
  constructor(private readonly port: number, ca: string) {
    super({ keepAlive: true, ca });
  }

  override createConnection(options: https.RequestOptions, callback?: (err: Error | null, stream: Duplex) => void): Duplex | null | undefined {
    return super.createConnection({ ...options, host: '127.0.0.1', port: this.port, servername: 'localhost' }, callback);
  }
}

let hub: SimulatedHub;
let registry: InstanceType<typeof Registry>;

beforeAll(async () => {
  hub = await SimulatedHub.start({ servicePageSize: 10 });
  hub.service.seedDevices(25);
  const agent = new LoopbackAgent(hub.servicePort, hub.caPem);
  const config = {
    host: hub.hubName,
    sharedAccessSignature: SharedAccessSignature.create(hub.hubName, 'iothubowner', hub.servicePolicyKey, Math.floor(Date.now() / 1000) + 3600).toString(),
  };
  // Registry's constructor replaces the client's options with its own keep-alive agent; keep ours.
  class LoopbackRestApiClient extends RestApiClient {
    override setOptions(options: Record<string, unknown>): void {
      super.setOptions({ ...options, http: { agent } });
    }
  }
  registry = new Registry(config, new LoopbackRestApiClient(config, 'iot-micro-agent-test'));
});
afterAll(async () => {
  await hub.stop();
});

describe('azure-iothub Registry against the simulated hub', () => {
  it('adds a module and reads it back', async () => {
    await registry.addModule({ deviceId: 'sim-device-0001', moduleId: 'DefenderIotMicroAgent' });
    const { responseBody } = await registry.getModule('sim-device-0001', 'DefenderIotMicroAgent');
    expect(responseBody.moduleId).toBe('DefenderIotMicroAgent');
    await expect(registry.addModule({ deviceId: 'no-such-device', moduleId: 'DefenderIotMicroAgent' })).rejects.toThrow();
  });

  it('pages a query past the first page when the continuation token is passed explicitly', async () => {
    const query = registry.createQuery('SELECT * FROM devices', 100);
    const ids: string[] = [];
    let pages = 0;
    do {
      // Query.next() without an argument ignores the token and returns page one forever (a known SDK trap).
      const { result } = await query.next(query.continuationToken ?? undefined);
      ids.push(...(result as { deviceId: string }[]).map((d) => d.deviceId));
      pages++;
    } while (query.hasMoreResults && pages < 10);
    expect(pages).toBe(3);
    expect(new Set(ids).size).toBe(25);
  });

  it('reads a module twin and updates its desired properties with the etag; a stale etag is refused', async () => {
    const { responseBody: twin } = await registry.getModuleTwin('sim-device-0001', 'DefenderIotMicroAgent');
    await registry.updateModuleTwin('sim-device-0001', 'DefenderIotMicroAgent', { properties: { desired: { Process_Disabled: true } } }, twin.etag);
    expect(hub.getTwin('sim-device-0001', 'DefenderIotMicroAgent').desired['Process_Disabled']).toBe(true);
    await expect(registry.updateModuleTwin('sim-device-0001', 'DefenderIotMicroAgent', { properties: { desired: { Process_Disabled: false } } }, twin.etag))
      .rejects.toMatchObject({ name: 'InvalidEtagError' });
  });
});
