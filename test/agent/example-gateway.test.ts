/** examples/gateway run as a user would run it (a child process importing 'iot-micro-agent'), against the simulated hub. */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { agentSchemas, type DefinedCollector } from '../../src/index.js';
import type { AgentStatus } from '../../src/agent-status.js';
import { SimulatedHub } from '../../src/sim-hub/index.js';
import { FAST_TWIN, eventsOf } from '../support/agent-harness.js';
import { waitUntil } from '../support/twin-push.js';

const GATEWAY = fileURLToPath(new URL('../../examples/gateway/gateway.mjs', import.meta.url));
/** The example's own declaration (plain JS): its events must validate against the schema the gateway declared. */
const DECLARATION = new URL('../../examples/gateway/downstream-devices.mjs', import.meta.url).href;
type DeclarationModule = { declaration: DefinedCollector };
const CLI = fileURLToPath(new URL('../../dist/src/cli.js', import.meta.url));
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Line { event: string; payload: Record<string, unknown> }

describe('examples/gateway', () => {
  it('embeds the agent with its own collector and twin key, against the simulated hub', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gateway-example-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const hub = await SimulatedHub.start({ stateDir: join(dir, 'hub') });
    cleanups.push(() => hub.stop());
    const identity = hub.createModule('gateway-1');
    const now = Date.now();
    await writeFile(join(dir, 'devices.json'), JSON.stringify([
      { id: 'pump-1', protocol: 'modbus-tcp', address: '10.0.0.7:502', firmware: '2.1.0', lastSeen: new Date(now).toISOString() },
      { id: 'meter-9', protocol: 'opcua', address: 'opc.tcp://10.0.0.9:4840', firmware: '1.4', lastSeen: new Date(now - 3 * 3_600_000).toISOString() },
      // Not a protocol the gateway declared: its event is refused at emit and counted, the others go on.
      { id: 'door-3', protocol: 'zigbee', address: '0x4f2a', firmware: '7', lastSeen: new Date(now).toISOString() },
    ]));
    await writeFile(join(dir, 'twin.json'), JSON.stringify({ ...FAST_TWIN, SystemInformation_Disabled: true, DownstreamDevices_MessageFrequency: 'High' }));
    const child = spawn(process.execPath, [GATEWAY], {
      env: {
        ...process.env, IOT_MICRO_AGENT_CONNECTION_STRING: identity.connectionString, GATEWAY_CA_FILE: hub.caFile,
        GATEWAY_STATE_DIR: join(dir, 'state'), GATEWAY_DEVICES_FILE: join(dir, 'devices.json'), GATEWAY_TWIN_DEFAULTS_FILE: join(dir, 'twin.json'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    cleanups.push(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    });
    const lines: Line[] = [];
    let stderr = '';
    let rest = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      const parts = (rest + chunk).split('\n');
      rest = parts.pop() ?? '';
      for (const p of parts) if (p.trim() !== '') lines.push(JSON.parse(p) as Line);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const seen = (event: string): Line[] => lines.filter((l) => l.event === event);
    const devices = (): Record<string, unknown>[] => hub.messages().flatMap((m) => eventsOf(m.body))
      .filter((e) => e.Name === 'DownstreamDevice').flatMap((e) => e['Payload'] as Record<string, unknown>[]);

    await waitUntil(() => seen('connected').length > 0 || child.exitCode !== null, 20_000);
    expect(stderr).toBe('');
    expect(seen('connected')[0]?.payload).toMatchObject({ deviceId: 'gateway-1', moduleId: 'DefenderIotMicroAgent' });
    await waitUntil(() => devices().some((d) => d['DeviceId'] === 'meter-9'), 20_000);

    // Its events validate against the schema it declared, in the official envelope.
    const { declaration } = await import(DECLARATION) as DeclarationModule;
    const schemas = agentSchemas([declaration]);
    for (const m of hub.messages()) expect(schemas.validateMessage(JSON.parse(m.body.toString('utf8')))).toEqual([]);
    expect(devices().find((d) => d['DeviceId'] === 'meter-9')).toMatchObject({ Protocol: 'opcua', Stale: true });
    expect(devices().find((d) => d['DeviceId'] === 'pump-1')).toMatchObject({ Stale: false });
    expect(devices().some((d) => d['DeviceId'] === 'door-3')).toBe(false);
    expect(seen('message-sent').length).toBeGreaterThan(0);
    expect(seen('error').map((l) => l.payload)).toContainEqual(expect.objectContaining({ source: 'collector', collector: 'DownstreamDevices' }));

    // Its twin key: a valid patch is applied (meter-9 is no longer stale), an invalid one fails with the exact keys.
    hub.patchDesired(identity.deviceId, identity.moduleId, { DownstreamDevices_StaleAfterMinutes: 600 });
    const ok = await hub.waitForReported(identity.deviceId, identity.moduleId, (r) => r['latest_state'] === 'success'
      && JSON.stringify(r['collectors']).includes('"DownstreamDevices_StaleAfterMinutes":600'), 15_000);
    expect(ok['latest_invalid_fields']).toEqual([]);
    expect(seen('config-applied').at(-1)?.payload).toMatchObject({ changedKeys: ['DownstreamDevices_StaleAfterMinutes'] });
    const sentBefore = hub.messages().length;
    await waitUntil(() => hub.messages().slice(sentBefore).flatMap((m) => eventsOf(m.body))
      .some((e) => e.Name === 'DownstreamDevice' && (e['Payload'] as Record<string, unknown>[])[0]?.['DeviceId'] === 'meter-9'
        && (e['Payload'] as Record<string, unknown>[])[0]?.['Stale'] === false), 15_000);

    hub.patchDesired(identity.deviceId, identity.moduleId, { DownstreamDevices_StaleAfterMinutes: 0, DownstreamDevices_Disabled: 'yes', Login_CacheSize: -1 });
    const failed = await hub.waitForReported(identity.deviceId, identity.moduleId, (r) => r['latest_state'] === 'failed', 15_000);
    const keys = ['DownstreamDevices_Disabled', 'DownstreamDevices_StaleAfterMinutes', 'Login_CacheSize'];
    expect(failed['latest_invalid_fields']).toEqual(keys);
    await waitUntil(() => seen('config-rejected').length > 0, 5_000);
    expect(seen('config-rejected')[0]?.payload).toMatchObject({ invalidFields: keys });

    // SIGTERM: the gateway prints the agent's status, stops it, and exits by itself.
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const status = seen('status')[0]?.payload as unknown as AgentStatus;
    expect(status).toMatchObject({ lifecycle: 'running', connection: { state: 'connected' }, configuration: { latest_state: 'failed', latest_invalid_fields: keys } });
    expect(status.collectors['DownstreamDevices']).toMatchObject({ state: 'running', settings: { DownstreamDevices_StaleAfterMinutes: 600 } });
    expect(status.collectors['DownstreamDevices']?.refused).toBeGreaterThan(0);
    expect(status.collectors['DownstreamDevices']?.emitted).toBe(2 * (status.collectors['DownstreamDevices']?.refused ?? 0));
    expect(seen('stopped')).toHaveLength(1);
  }, 90_000);

  it('declares its keys to validate-config --collectors, which checks them like the built-in ones', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gateway-validate-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const check = async (desired: object, ...extra: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
      await writeFile(join(dir, 'desired.json'), JSON.stringify(desired));
      return new Promise((resolve) => {
        execFile(process.execPath, [CLI, 'validate-config', join(dir, 'desired.json'), ...extra], (error, stdout, stderr) => {
          resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
        });
      });
    };
    const module = fileURLToPath(DECLARATION);
    expect(await check({ DownstreamDevices_StaleAfterMinutes: 30, Process_Disabled: true }, '--collectors', module)).toMatchObject({ code: 0, stderr: '' });
    const bad = await check({ DownstreamDevices_StaleAfterMinutes: 0, Login_CacheSize: -1 }, '--collectors', module);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('DownstreamDevices_StaleAfterMinutes: must be >= 1');
    expect(bad.stdout).toContain('Login_CacheSize: must be >= 1');
    expect(bad.stdout).toContain('invalid (2 invalid keys)');
    // Without the declaration the key is unknown.
    expect((await check({ DownstreamDevices_StaleAfterMinutes: 30 })).stdout).toContain('DownstreamDevices_StaleAfterMinutes: unknown key');
    const missing = await check({}, '--collectors', join(dir, 'nope.mjs'));
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toMatch(/--collectors: cannot load/);
  }, 60_000);
});
