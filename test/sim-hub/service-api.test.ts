import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedHub } from '../../src/sim-hub/index.js';
import { parseQuery } from '../../src/sim-hub/service-query.js';
import { call, policyToken } from './service-client.js';

let hub: SimulatedHub;

beforeAll(async () => {
  hub = await SimulatedHub.start({ servicePageSize: 10 });
  hub.service.seedDevices(25);
});
afterAll(async () => {
  await hub.stop();
});

type Item = Record<string, unknown>;

describe('simulated hub service API', () => {
  it('refuses a token signed with another key, for another policy, or none at all', async () => {
    const wrongKey = Buffer.alloc(32, 1).toString('base64');
    for (const auth of [policyToken(hub, wrongKey), policyToken(hub, hub.servicePolicyKey, 'registryRead'), '']) {
      const r = await call(hub, 'GET', '/devices/sim-device-0001', undefined, { Authorization: auth });
      expect(r.status).toBe(401);
      expect((r.body as { Message: string }).Message).toMatch(/^ErrorCode:IotHubUnauthorizedAccess;/);
    }
  });

  it('pages a query by x-ms-max-item-count and x-ms-continuation; the last page has no continuation', async () => {
    const seen: string[] = [];
    let continuation: string | undefined;
    let pages = 0;
    do {
      const r = await call(hub, 'POST', '/devices/query', { query: 'SELECT * FROM devices' },
        { 'x-ms-max-item-count': '1000', ...(continuation ? { 'x-ms-continuation': continuation } : {}) });
      expect(r.status).toBe(200);
      const items = r.body as Item[];
      expect(items.length).toBeLessThanOrEqual(10);
      seen.push(...items.map((d) => d['deviceId'] as string));
      continuation = r.headers['x-ms-continuation'] as string | undefined;
      pages++;
    } while (continuation);
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(25);
  });

  it('creates modules in bulk, reports per-item errors with HTTP 400, and caps a call at 100 entries', async () => {
    const ok = await call(hub, 'POST', '/devices', [
      { id: 'sim-device-0001', moduleId: 'm1', importMode: 'create' },
      { id: 'sim-device-0002', moduleId: 'm1', importMode: 'create', properties: { desired: { Process_Disabled: true } } },
    ]);
    expect(ok.status).toBe(200);
    expect(hub.getTwin('sim-device-0002', 'm1').desired['Process_Disabled']).toBe(true);
    const partial = await call(hub, 'POST', '/devices', [
      { id: 'sim-device-0001', moduleId: 'm1', importMode: 'create' },
      { id: 'no-such-device', moduleId: 'm1', importMode: 'create' },
      { id: 'sim-device-0003', moduleId: 'm1', importMode: 'create' },
    ]);
    expect(partial.status).toBe(400);
    const errors = (partial.body as { errors: Item[] }).errors;
    expect(errors.map((e) => [e['deviceId'], e['errorCode']])).toEqual([
      ['sim-device-0001', 'ModuleAlreadyExistsOnDevice'], ['no-such-device', 'DeviceNotFound'],
    ]);
    expect((await call(hub, 'GET', '/devices/sim-device-0003/modules/m1')).status).toBe(200);
    const tooMany = Array.from({ length: 101 }, (_, i) => ({ id: `d${i}`, importMode: 'create' }));
    const refused = await call(hub, 'POST', '/devices', tooMany);
    expect(refused.status).toBe(400);
    expect((await call(hub, 'GET', '/devices/d0')).status).toBe(404);
  });

  it('finds modules with SELECT * FROM devices.modules WHERE moduleId = ...', async () => {
    const r = await call(hub, 'POST', '/devices/query', { query: "SELECT * FROM devices.modules WHERE moduleId = 'm1'" });
    expect((r.body as Item[]).map((m) => m['deviceId']).sort()).toEqual(['sim-device-0001', 'sim-device-0002', 'sim-device-0003']);
    const bad = await call(hub, 'POST', '/devices/query', { query: 'SELECT * FROM devices WHERE' });
    expect(bad.status).toBe(400);
  });

  it('patches module twin desired with If-Match and answers 412 on a stale etag', async () => {
    const twin = (await call(hub, 'GET', '/twins/sim-device-0001/modules/m1')).body as Item;
    const stale = await call(hub, 'PATCH', '/twins/sim-device-0001/modules/m1', { properties: { desired: { A: 1 } } }, { 'If-Match': '"bogus"' });
    expect(stale.status).toBe(412);
    const ok = await call(hub, 'PATCH', '/twins/sim-device-0001/modules/m1', { properties: { desired: { A: 2 } } },
      { 'If-Match': `"${String(twin['etag'])}"` });
    expect(ok.status).toBe(200);
    expect(hub.getTwin('sim-device-0001', 'm1').desired['A']).toBe(2);
    expect((ok.body as Item)['etag']).not.toBe(twin['etag']);
    const again = await call(hub, 'PATCH', '/twins/sim-device-0001/modules/m1', { properties: { desired: { A: 3 } } },
      { 'If-Match': `"${String(twin['etag'])}"` });
    expect(again.status).toBe(412);
  });

  it('answers 429 with Retry-After while throttling is switched on', async () => {
    hub.throttleService(1, 7);
    const throttled = await call(hub, 'GET', '/devices/sim-device-0001');
    expect(throttled.status).toBe(429);
    expect(throttled.headers['retry-after']).toBe('7');
    expect((await call(hub, 'GET', '/devices/sim-device-0001')).status).toBe(200);
  });

  it('deletes a module and a device with their twins', async () => {
    expect((await call(hub, 'DELETE', '/devices/sim-device-0003/modules/m1', undefined, { 'If-Match': '*' })).status).toBe(204);
    expect((await call(hub, 'GET', '/twins/sim-device-0003/modules/m1')).status).toBe(404);
    expect((await call(hub, 'DELETE', '/devices/sim-device-0002', undefined, { 'If-Match': '*' })).status).toBe(204);
    expect((await call(hub, 'GET', '/devices/sim-device-0002/modules/m1')).status).toBe(404);
  });
});

describe('query grammar', () => {
  const module = { deviceId: 'd1', moduleId: 'DefenderIotMicroAgent', connectionState: 'Connected', properties: { reported: { latest_state: 'failed' } } };

  it('matches comparisons joined by AND, OR, NOT and parentheses, with devices.modules prefixes', () => {
    const q = parseQuery("SELECT * FROM devices.modules WHERE devices.modules.moduleId = 'DefenderIotMicroAgent' AND (properties.reported.latest_state = 'failed' OR NOT connectionState = 'Connected')");
    expect(q.source).toBe('devices.modules');
    expect(q.matches(module)).toBe(true);
    expect(q.matches({ ...module, moduleId: 'other' })).toBe(false);
    expect(parseQuery("select * from devices where devices.deviceId != 'd1'").matches({ deviceId: 'd2' })).toBe(true);
    expect(parseQuery('SELECT * FROM devices.modules WHERE IS_DEFINED(properties.reported.latest_state)').matches(module)).toBe(true);
  });

  it('rejects what it does not understand', () => {
    for (const text of ['SELECT deviceId FROM devices', 'SELECT * FROM jobs', "SELECT * FROM devices WHERE deviceId = 'x", 'SELECT * FROM devices WHERE deviceId']) {
      expect(() => parseQuery(text)).toThrow();
    }
  });
});
