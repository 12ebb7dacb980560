import { request } from 'node:https';
import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedHub } from '../../src/sim-hub/index.js';
import { call as serviceCall } from '../sim-hub/service-client.js';
import { consoleCall, openEvents, tokenOf } from './console-client.js';

let hub: SimulatedHub;

beforeAll(async () => {
  hub = await SimulatedHub.start();
  hub.service.seedDevices(3);
});
afterAll(async () => {
  await hub.stop();
});

const CSP = "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'";

describe('web console access', () => {
  it('prints a URL on localhost with a random 32-byte base64url token, different for every hub', async () => {
    expect(hub.consoleUrl).toMatch(new RegExp(`^https://localhost:${hub.servicePort}/console/\\?token=[A-Za-z0-9_-]{43}$`));
    const other = await SimulatedHub.start({ consoleToken: 'chosen-token-0123456789' });
    try {
      expect(tokenOf(other)).toBe('chosen-token-0123456789');
      expect(tokenOf(other)).not.toBe(tokenOf(hub));
    } finally {
      await other.stop();
    }
    await expect(SimulatedHub.start({ consoleToken: 'short' })).rejects.toThrow(/at least 16 characters/);
  });

  it('answers 401 without the token, or with a wrong one, on a page, an asset, the API and the event stream', async () => {
    const wrong = 'x'.repeat(43);
    for (const path of ['/console/', '/console', '/console/index.html', '/console/app.js', '/console/api/devices', '/console/api/twin-schema']) {
      for (const call of [{}, { token: wrong }, { bearer: wrong }, { cookie: `imaconsole=${wrong}` }, { bearer: '' }]) {
        const r = await consoleCall(hub, 'GET', path, call);
        expect(r.status, `${path} ${JSON.stringify(call)}`).toBe(401);
        expect(r.headers['content-type']).toBe('text/plain; charset=utf-8');
        expect(r.text).toMatch(/access token/);
        expect(r.headers['set-cookie']).toBeUndefined();
      }
    }
    const put = await consoleCall(hub, 'PUT', '/console/api/devices/sim-device-0001/modules/m1');
    expect(put.status).toBe(401);
    expect(hub.service.listModules('sim-device-0001')).toEqual([]);
    const stream = await openEvents(hub, {});
    expect(stream.status).toBe(401);
    await stream.ended;
  });

  it('serves the page with the query token, sets the console cookie, and then takes the cookie or a Bearer header alone', async () => {
    const page = await consoleCall(hub, 'GET', '/console/', { token: true });
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.text).toMatch(/<html/);
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.headers['content-security-policy']).toBe(CSP);
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    const cookie = page.headers['set-cookie']?.[0] ?? '';
    expect(cookie.split('; ').sort()).toEqual(['HttpOnly', 'Path=/console', 'SameSite=Strict', 'Secure', `imaconsole=${tokenOf(hub)}`].sort());
    const pair = cookie.split(';')[0] ?? '';
    const byCookie = await consoleCall(hub, 'GET', '/console/api/devices', { cookie: `theme=dark; ${pair}` });
    expect(byCookie.status).toBe(200);
    expect(byCookie.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(byCookie.headers['content-security-policy']).toBe(CSP);
    expect(byCookie.headers['cache-control']).toBe('no-store');
    const byBearer = await consoleCall(hub, 'GET', '/console/index.html', { bearer: tokenOf(hub) });
    expect(byBearer.status).toBe(200);
    expect(byBearer.headers['set-cookie']).toBeUndefined();
    const redirect = await consoleCall(hub, 'GET', '/console', { token: true });
    expect(redirect.status).toBe(302);
    expect(redirect.headers['location']).toBe(`/console/?token=${tokenOf(hub)}`);
    const stream = await openEvents(hub, { cookie: pair });
    expect(stream.status).toBe(200);
    expect(stream.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(stream.headers['content-security-policy']).toBe(CSP);
    stream.close();
  });

  it('never serves a file outside console/, however the path is spelled, and only html, js, css and svg', async () => {
    const attempts = [
      '/console/../package.json', '/console/%2e%2e/package.json', '/console/..%2fpackage.json', '/console/%2e%2e%2fpackage.json',
      '/console/..%5cpackage.json', '/console/%2fetc%2fpasswd', '/console//etc/passwd', '/console/.%2e/.%2e/package.json',
      '/console/api/../../package.json', '/console/index.html%00.js', '/console/%zz', '/console/.gitignore',
      '/console/../src/cli.ts', '/console/../../../../etc/passwd', '/console/no-such-file.js', '/console/index.json',
    ];
    for (const path of attempts) {
      const r = await consoleCall(hub, 'GET', path, { token: true });
      expect([400, 404], path).toContain(r.status);
      expect(r.text, path).not.toMatch(/"name"|root:/);
    }
    const post = await consoleCall(hub, 'POST', '/console/index.html', { token: true });
    expect(post.status).toBe(405);
  });

  it('leaves the service API to policy SAS: a console token opens nothing there', async () => {
    const r = await serviceCall(hub, 'GET', `/devices/sim-device-0001?token=${tokenOf(hub)}`, undefined, { Authorization: `Bearer ${tokenOf(hub)}` });
    expect(r.status).toBe(401);
    const ok = await serviceCall(hub, 'GET', '/devices/sim-device-0001');
    expect(ok.status).toBe(200);
  });
});

// A non-loopback address of this machine, to reach a hub listening on every interface from "outside".
const external = Object.values(networkInterfaces()).flat().find((a) => a !== undefined && a.family === 'IPv4' && !a.internal)?.address;
if (external === undefined) console.warn('[console access] the off-loopback test is skipped: this machine has no non-loopback IPv4 address');

describe.skipIf(external === undefined)('web console off loopback', () => {
  it('refuses the console, even with the token, to a client that is not on this machine; the service API still answers there', async () => {
    const wide = await SimulatedHub.start({ host: '0.0.0.0' });
    try {
      const status = (path: string): Promise<number> => new Promise((resolve, reject) => {
        request({ host: external, port: wide.servicePort, path, servername: 'localhost', ca: wide.caPem }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        }).on('error', reject).end();
      });
      expect(await status(`/console/?token=${tokenOf(wide)}`)).toBe(403);
      expect(await status(`/console/api/devices?token=${tokenOf(wide)}`)).toBe(403);
      expect(await status('/devices?api-version=2021-04-12')).toBe(401);
      expect((await consoleCall(wide, 'GET', '/console/api/devices', { token: true })).status).toBe(200);
    } finally {
      await wide.stop();
    }
  });
});
