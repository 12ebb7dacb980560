import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { twinSchemaPath } from '../../src/config/index.js';
import { packageFile } from '../../src/package-root.js';
import { SimulatedHub } from '../../src/sim-hub/index.js';
import { consoleCall, type ConsoleResponse } from './console-client.js';

let hub: SimulatedHub;
let dir: string;
const AGENT = 'DefenderIotMicroAgent';

beforeAll(async () => {
  hub = await SimulatedHub.start();
  hub.service.seedDevices(25);
  dir = await mkdtemp(join(tmpdir(), 'console-api-'));
});
afterAll(async () => {
  await hub.stop();
  await rm(dir, { recursive: true, force: true });
});

type Doc = Record<string, unknown>;

async function api(method: string, path: string, body?: unknown): Promise<ConsoleResponse> {
  return consoleCall(hub, method, `/console/api/${path}`, { token: true, ...(body === undefined ? {} : { body }) });
}

async function devices(query: string): Promise<{ items: Doc[]; total: number; page: number; pageSize: number }> {
  const r = await api('GET', `devices${query}`);
  expect(r.status).toBe(200);
  return r.json as { items: Doc[]; total: number; page: number; pageSize: number };
}

/** What `iot-micro-agent validate-config` (the built CLI, a child process) prints for `doc`, as [key, reason] pairs. */
async function validateConfigReasons(doc: unknown): Promise<{ code: number | null; reasons: [string, string][] }> {
  const file = join(dir, 'desired.json');
  await writeFile(file, JSON.stringify(doc));
  const { code, text } = await new Promise<{ code: number | null; text: string }>((resolve) => {
    execFile(process.execPath, [packageFile('dist', 'src', 'cli.js'), 'validate-config', file], { timeout: 15_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : null, text: stdout + stderr });
    });
  });
  const reasons = text.split('\n').filter((l) => l.startsWith(`${file}: `) && !/: (valid|invalid) \(/.test(l))
    .map((l) => l.slice(file.length + 2)).map((l) => [l.slice(0, l.indexOf(': ')), l.slice(l.indexOf(': ') + 2)] as [string, string]);
  return { code, reasons };
}

describe('web console JSON API', () => {
  it('pages and searches the devices, with the agent module state of each', async () => {
    const first = await devices('');
    expect(first).toMatchObject({ total: 25, page: 0, pageSize: 20 });
    expect(first.items.map((d) => d['deviceId'])).toEqual(Array.from({ length: 20 }, (_, i) => `sim-device-${String(i + 1).padStart(4, '0')}`));
    expect(first.items[0]).toEqual({ deviceId: 'sim-device-0001', hasAgentModule: false, connectionState: 'Disconnected', lastActivityTime: null });
    const last = await devices('?page=2&pageSize=10');
    expect(last.items.map((d) => d['deviceId'])).toEqual(['sim-device-0021', 'sim-device-0022', 'sim-device-0023', 'sim-device-0024', 'sim-device-0025']);
    expect(last.total).toBe(25);
    const found = await devices('?search=DEVICE-001&pageSize=4&page=1');
    expect(found.total).toBe(10);
    expect(found.items.map((d) => d['deviceId'])).toEqual(['sim-device-0014', 'sim-device-0015', 'sim-device-0016', 'sim-device-0017']);
    expect((await devices('?search=nothing-like-this')).items).toEqual([]);
    for (const bad of ['?pageSize=0', '?pageSize=101', '?page=-1', '?page=1.5', '?pageSize=abc']) {
      const r = await api('GET', `devices${bad}`);
      expect(r.status, bad).toBe(400);
      expect(r.json).toEqual({ error: expect.stringMatching(/must be a whole number/) as unknown });
    }
  });

  it('adds the module to one device (201, then 200), lists it, shows its connection string and deletes it', async () => {
    const added = await api('PUT', `devices/sim-device-0003/modules/${AGENT}`);
    expect(added.status).toBe(201);
    expect(added.json).toEqual({ moduleId: AGENT, deviceId: 'sim-device-0003' });
    expect((await api('PUT', `devices/sim-device-0003/modules/${AGENT}`)).status).toBe(200);
    expect((await devices('?search=sim-device-0003')).items[0]).toMatchObject({ hasAgentModule: true, connectionState: 'Disconnected' });
    const modules = await api('GET', 'devices/sim-device-0003/modules');
    expect(modules.json).toEqual({ items: [{ moduleId: AGENT, connectionState: 'Disconnected', lastActivityTime: null }] });
    const cs = await api('GET', `devices/sim-device-0003/modules/${AGENT}/connection-string`);
    const key = (hub.service.getModule('sim-device-0003', AGENT)['authentication'] as { symmetricKey: { primaryKey: string } }).symmetricKey.primaryKey;
    expect(cs.json).toEqual({
      connectionString: `HostName=${hub.hubName};DeviceId=sim-device-0003;ModuleId=${AGENT};SharedAccessKey=${key};GatewayHostName=localhost:${hub.port}`,
    });
    const deleted = await api('DELETE', `devices/sim-device-0003/modules/${AGENT}`);
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');
    const again = await api('DELETE', `devices/sim-device-0003/modules/${AGENT}`);
    expect(again.status).toBe(404);
    expect(again.json).toEqual({ error: `module ${AGENT} does not exist on sim-device-0003` });
    expect((await api('GET', `devices/sim-device-0003/modules/${AGENT}/connection-string`)).status).toBe(404);
    expect((await api('PUT', 'devices/no-such-device/modules/m1')).status).toBe(404);
    expect((await api('PUT', 'devices/sim-device-0003/modules/bad%23id')).status).toBe(400);
  });

  it('adds the agent module to every device that lacks it, with the fleet command, and then to none', async () => {
    await api('PUT', `devices/sim-device-0007/modules/${AGENT}`);
    const all = await api('POST', 'agent-modules');
    expect(all.status).toBe(200);
    expect(all.json).toEqual({ added: 24, alreadyHad: 1, failed: 0 });
    expect((await devices('?pageSize=100')).items.every((d) => d['hasAgentModule'] === true)).toBe(true);
    expect((await api('POST', 'agent-modules')).json).toEqual({ added: 0, alreadyHad: 25, failed: 0 });
  });

  it('reads a module twin and patches its desired properties (null deletes a key)', async () => {
    await api('PUT', `devices/sim-device-0009/modules/${AGENT}`);
    const twin = await api('GET', `devices/sim-device-0009/modules/${AGENT}/twin`);
    expect(twin.status).toBe(200);
    expect(twin.json).toMatchObject({ deviceId: 'sim-device-0009', moduleId: AGENT, properties: { desired: { $version: 1 }, reported: { $version: 1 } } });
    const patched = await api('PATCH', `devices/sim-device-0009/modules/${AGENT}/twin/desired`, { Process_Disabled: true, Login_Disabled: true });
    expect(patched.status).toBe(200);
    expect((patched.json as { properties: { desired: Doc } }).properties.desired).toEqual({ Process_Disabled: true, Login_Disabled: true, $version: 2 });
    const removed = await api('PATCH', `devices/sim-device-0009/modules/${AGENT}/twin/desired`, { Login_Disabled: null });
    expect((removed.json as { properties: { desired: Doc } }).properties.desired).toEqual({ Process_Disabled: true, $version: 3 });
    expect(hub.getTwin('sim-device-0009', AGENT).desired).toEqual({ Process_Disabled: true, $version: 3 });
    for (const body of [[1, 2], 'text', 5]) {
      const r = await api('PATCH', `devices/sim-device-0009/modules/${AGENT}/twin/desired`, body);
      expect(r.status).toBe(400);
      expect(r.json).toEqual({ error: 'the body must be a JSON object of desired properties' });
    }
    const notJson = await consoleCall(hub, 'PATCH', `/console/api/devices/sim-device-0009/modules/${AGENT}/twin/desired`, { token: true, rawBody: '{oops' });
    expect(notJson.json).toEqual({ error: 'the body is not valid JSON' });
    expect(hub.getTwin('sim-device-0009', AGENT).desired['$version']).toBe(3);
  });

  it('gives the twin schema with a key list for completion', async () => {
    const r = await api('GET', 'twin-schema');
    const { schema, keys } = r.json as { schema: Doc; keys: Doc[] };
    expect(schema).toEqual(JSON.parse(await readFile(twinSchemaPath(), 'utf8')));
    expect(keys.map((k) => k['name'])).toEqual(Object.keys(schema['properties'] as Doc));
    expect(keys.find((k) => k['name'] === 'Heartbeat_MessageFrequency')).toMatchObject({ type: 'string', enum: ['Low', 'Medium', 'High'] });
    expect(keys.every((k) => typeof k['type'] === 'string' && 'default' in k)).toBe(true);
  });

  it('validates a desired document exactly as validate-config does', async () => {
    const good = { Heartbeat_MessageFrequency: 'High', CollectorsCore_PriorityIntervals: '1m,5m,30m', Login_Disabled: null };
    expect((await api('POST', 'validate-desired', good)).json).toEqual({ valid: true, invalidFields: [] });
    expect((await validateConfigReasons(good)).code).toBe(0);
    const bad = {
      Heartbeat_MessageFrequency: 'high', CollectorsCore_PriorityIntervals: '30m,5m,1m', Process_Disabled: 'yes', No_Such_Key: 1, $version: 4,
    };
    for (const doc of [bad, { properties: { desired: bad, reported: {} } }]) {
      const r = await api('POST', 'validate-desired', doc);
      const answer = r.json as { valid: boolean; invalidFields: { key: string; message: string }[] };
      expect(answer.valid).toBe(false);
      expect(answer.invalidFields.map((f) => f.key)).toEqual(['CollectorsCore_PriorityIntervals', 'Heartbeat_MessageFrequency', 'No_Such_Key', 'Process_Disabled']);
      const cli = await validateConfigReasons(doc);
      expect(cli.code).toBe(1);
      expect(answer.invalidFields.map((f) => [f.key, f.message])).toEqual(cli.reasons);
    }
    const notObject = await api('POST', 'validate-desired', [1]);
    expect(notObject.json).toEqual({ valid: false, invalidFields: [{ key: '', message: 'the desired document must be a JSON object' }] });
  });

  it('answers unknown operations, bad paths and oversized bodies with one-line JSON errors', async () => {
    expect((await api('GET', 'nothing-here')).json).toEqual({ error: 'no such console API operation' });
    expect((await api('DELETE', 'devices')).status).toBe(404);
    expect((await api('POST', 'devices/sim-device-0001/modules')).status).toBe(405);
    expect((await api('GET', 'devices/%E0%A4%A/modules')).json).toEqual({ error: 'malformed path' });
    expect((await api('GET', 'messages?limit=501')).status).toBe(400);
    const huge = await consoleCall(hub, 'POST', '/console/api/validate-desired', { token: true, rawBody: `"${'x'.repeat(300 * 1024)}"` });
    expect(huge.status).toBe(413);
    expect((await api('POST', 'events')).status).toBe(405);
  });
});
