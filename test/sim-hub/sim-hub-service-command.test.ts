import * as https from 'node:https';
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

  it('prints a consoleUrl that opens the web console with its token, and nothing without it', async () => {
    let text = '';
    const out = new Writable({ write(chunk: Buffer, _e, cb) { text += chunk.toString(); cb(); } });
    hub = await startSimHubCommand(['--console-token', 'a-token-chosen-by-the-user'], out);
    const url = new URL(String((JSON.parse(text.trim()) as Record<string, unknown>)['consoleUrl']));
    expect(url.href).toBe(`https://localhost:${hub.servicePort}/console/?token=a-token-chosen-by-the-user`);
    const get = (path: string): Promise<number> => new Promise((resolve, reject) => {
      https.get({ host: '127.0.0.1', port: url.port, path, servername: url.hostname, ca: hub?.caPem }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on('error', reject);
    });
    expect(await get(`${url.pathname}${url.search}`)).toBe(200);
    expect(await get(`/console/api/devices${url.search}`)).toBe(200);
    expect(await get('/console/api/devices')).toBe(401);
    expect(() => parseSimHubArgs(['--console-token', 'short'])).toThrow(/console token must be at least 16 characters/);
  });

  it('refuses a bad --service-port or --devices', () => {
    expect(() => parseSimHubArgs(['--service-port', '70000'])).toThrow(/--service-port must be 0..65535/);
    expect(() => parseSimHubArgs(['--devices', '-1'])).toThrow(/--devices must be/);
    expect(parseSimHubArgs(['--service-port=443', '--devices', '3'])).toMatchObject({ options: { servicePort: 443 }, devices: 3 });
  });
});
