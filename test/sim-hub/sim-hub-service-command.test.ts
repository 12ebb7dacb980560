import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { parseSimHubArgs, startSimHubCommand, type SimulatedHub } from '../../src/sim-hub/index.js';

describe('sim-hub command: the service API', () => {
  let hub: SimulatedHub | undefined;
  afterEach(async () => {
    await hub?.stop();
    hub = undefined;
  });

  it('prints the service connection string and creates --devices N devices to try the fleet commands on', async () => {
    let text = '';
    const out = new Writable({ write(chunk: Buffer, _e, cb) { text += chunk.toString(); cb(); } });
    hub = await startSimHubCommand(['--devices', '12'], out);
    const info = JSON.parse(text.trim()) as Record<string, unknown>;
    expect(info['servicePort']).toBe(hub.servicePort);
    expect(info['serviceConnectionString']).toBe(hub.serviceConnectionString);
    expect(String(info['serviceConnectionString'])).toMatch(
      new RegExp(`^HostName=sim-hub\\.azure-devices\\.net;SharedAccessKeyName=iothubowner;SharedAccessKey=[A-Za-z0-9+/=]{44};GatewayHostName=localhost:${hub.servicePort}$`));
    const page = hub.service.query('SELECT * FROM devices', 100, undefined);
    expect(page.items.map((d) => d['deviceId'])).toEqual(expect.arrayContaining(['sim-device', 'sim-device-0001', 'sim-device-0012']));
    expect(page.items).toHaveLength(13);
  });

  it('refuses a bad --service-port or --devices', () => {
    expect(() => parseSimHubArgs(['--service-port', '70000'])).toThrow(/--service-port must be 0..65535/);
    expect(() => parseSimHubArgs(['--devices', '-1'])).toThrow(/--devices must be/);
    expect(parseSimHubArgs(['--service-port=443', '--devices', '3'])).toMatchObject({ options: { servicePort: 443 }, devices: 3 });
  });
});
