import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedHub, type ServiceCall } from '../../src/sim-hub/index.js';
import { CLI_TEST_TIMEOUT, hubCli, hubEnv, modulesOnHub, spawnHubCli } from './fleet-cli.js';

let hub: SimulatedHub;
let dir: string;
const DEVICES = 250;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fleet-'));
  hub = await SimulatedHub.start();
  hub.service.seedDevices(DEVICES);
});
afterAll(async () => {
  await hub.stop();
  await rm(dir, { recursive: true, force: true });
});

function json(stdout: string): Record<string, unknown> {
  return JSON.parse(stdout) as Record<string, unknown>;
}

describe('hub create-module --all-devices', () => {
  it('creates the module on all 250 devices in bulk calls of 100, and a second run creates none', async () => {
    const first = await hubCli(['create-module', '--all-devices', '--json'], hubEnv(hub));
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(json(first.stdout)).toMatchObject({ devices: DEVICES, created: DEVICES, alreadyHad: 0, failed: [], bulkCalls: 3 });
    expect(json(first.stdout)['queryPages']).toBeGreaterThanOrEqual(4);
    expect(modulesOnHub(hub, 'DefenderIotMicroAgent')).toBe(DEVICES);
    const second = await hubCli(['create-module', '--all-devices', '--json'], hubEnv(hub));
    expect(second.code).toBe(0);
    expect(json(second.stdout)).toMatchObject({ created: 0, alreadyHad: DEVICES, bulkCalls: 0 });
  }, CLI_TEST_TIMEOUT);

  it('still finishes when the hub throttles, and says it waited', async () => {
    hub.throttleService(2, 1);
    const r = await hubCli(['create-module', '--all-devices', '--module-id', 'Throttled'], hubEnv(hub));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/created\s+250/);
    expect(r.stdout).toMatch(/throttled 2 times, waited 2s/);
    expect(r.stderr).toContain('throttled by the hub, waiting 1s');
    expect(modulesOnHub(hub, 'Throttled')).toBe(DEVICES);
  }, CLI_TEST_TIMEOUT);

  it('finishes on rerun after being killed part way', async () => {
    let bulkDone = 0;
    const onCall = (call: ServiceCall): void => {
      // After the first bulk call, hold every request so the run is surely cut in the middle.
      if (call.operation === 'bulk' && call.status === 200 && ++bulkDone === 1) hub.throttleService(1_000, 60);
    };
    hub.on('service-call', onCall);
    const child = spawnHubCli(['create-module', '--all-devices', '--module-id', 'Interrupted'], hubEnv(hub));
    await new Promise<void>((resolve) => child.stderr?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('throttled by the hub')) resolve();
    }));
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    hub.off('service-call', onCall);
    hub.throttleService(0);
    expect(modulesOnHub(hub, 'Interrupted')).toBe(100);
    const rerun = await hubCli(['create-module', '--all-devices', '--module-id', 'Interrupted', '--json'], hubEnv(hub));
    expect(rerun.code).toBe(0);
    expect(json(rerun.stdout)).toMatchObject({ created: 150, alreadyHad: 100 });
    expect(modulesOnHub(hub, 'Interrupted')).toBe(DEVICES);
  }, CLI_TEST_TIMEOUT);

  it('creates only on the devices the query selects', async () => {
    const r = await hubCli(['create-module', '--all-devices', '--query', "WHERE deviceId = 'sim-device-0007'", '--module-id', 'Picked', '--json'], hubEnv(hub));
    expect(json(r.stdout)).toMatchObject({ devices: 1, created: 1 });
    expect(modulesOnHub(hub, 'Picked')).toBe(1);
  }, CLI_TEST_TIMEOUT);
});

describe('hub configure --all-devices', () => {
  it('patches every selected module twin and sums up the answers by state', async () => {
    const query = "WHERE deviceId = 'sim-device-0001' OR deviceId = 'sim-device-0002'";
    for (const id of ['sim-device-0001', 'sim-device-0002', 'sim-device-0003']) hub.createModule(id);
    const r = await hubCli(['configure', '--all-devices', '--query', query, '--set', 'Process_CacheSize=512', '--json'], hubEnv(hub));
    expect(r.code).toBe(0);
    expect(json(r.stdout)['summary']).toEqual({ patched: 2 });
    for (const id of ['sim-device-0001', 'sim-device-0002']) expect(hub.getTwin(id, 'DefenderIotMicroAgent').desired['Process_CacheSize']).toBe(512);
    expect(hub.getTwin('sim-device-0003', 'DefenderIotMicroAgent').desired['Process_CacheSize']).toBeUndefined();
    const waited = await hubCli(['configure', '--all-devices', '--query', query, '--set', 'Process_CacheSize=256', '--wait', '1s'], hubEnv(hub));
    expect(waited.code).toBe(3);
    expect(waited.stdout).toMatch(/timeout\s+2/);
  }, CLI_TEST_TIMEOUT);
});

describe('hub create-module --device, verify and the errors', () => {
  it('seeds desired properties from --desired and refuses an invalid file before touching the hub', async () => {
    hub.service.seedDevices(1, 'seeded-');
    const good = join(dir, 'good.json');
    await writeFile(good, JSON.stringify({ Login_Disabled: true }));
    const r = await hubCli(['create-module', '--device', 'seeded-0001', '--module-id', 'Seeded', '--desired', good], hubEnv(hub));
    expect(r.code).toBe(0);
    expect(hub.getTwin('seeded-0001', 'Seeded').desired['Login_Disabled']).toBe(true);
    const bad = join(dir, 'bad.json');
    await writeFile(bad, JSON.stringify({ Login_Disabled: 'yes', Not_A_Key: 1 }));
    const refused = await hubCli(['create-module', '--device', 'seeded-0001', '--module-id', 'Refused', '--desired', bad], hubEnv(hub));
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(/Login_Disabled.*Not_A_Key/);
    expect(modulesOnHub(hub, 'Refused')).toBe(0);
  }, CLI_TEST_TIMEOUT);

  it('tells a device with the module from one without it', async () => {
    const withIt = await hubCli(['verify', '--device', 'sim-device-0001'], hubEnv(hub));
    expect(withIt.code).toBe(0);
    expect(withIt.stdout).toMatch(/^sim-device-0001\/DefenderIotMicroAgent: exists, Disconnected/);
    const without = await hubCli(['verify', '--device', 'sim-device-0001', '--module-id', 'Absent', '--json'], hubEnv(hub));
    expect(without.code).toBe(1);
    expect(json(without.stdout)).toMatchObject({ deviceId: 'sim-device-0001', exists: false });
    const fleet = await hubCli(['verify', '--all-devices', '--module-id', 'Picked', '--json'], hubEnv(hub));
    expect(fleet.code).toBe(1);
    expect(json(fleet.stdout)['summary']).toMatchObject({ withModule: 1, withoutModule: DEVICES });
  }, CLI_TEST_TIMEOUT);

  it('says in one line, with exit 2, that the service key is wrong', async () => {
    const wrong = hub.serviceConnectionString.replace(/SharedAccessKey=[^;]+/, `SharedAccessKey=${Buffer.alloc(32, 7).toString('base64')}`);
    const r = await hubCli(['verify', '--device', 'sim-device-0001'], hubEnv(hub, wrong));
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/refused the service credentials \(HTTP 401/);
    expect(r.stderr).not.toContain(Buffer.alloc(32, 7).toString('base64'));
    expect(r.stderr).not.toMatch(/\bat .*\.js:\d+/);
  }, CLI_TEST_TIMEOUT);

  it('reaches the hub with --trusted-ca-file instead of NODE_EXTRA_CA_CERTS', async () => {
    const env = { ...hubEnv(hub), NODE_EXTRA_CA_CERTS: '' };
    const without = await hubCli(['verify', '--device', 'sim-device-0001'], env);
    expect(without.code).toBe(2);
    expect(without.stderr).toMatch(/cannot verify the TLS certificate.*--trusted-ca-file/);
    const r = await hubCli(['verify', '--device', 'sim-device-0001', '--trusted-ca-file', hub.caFile], env);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^sim-device-0001/);
  }, CLI_TEST_TIMEOUT);
});
