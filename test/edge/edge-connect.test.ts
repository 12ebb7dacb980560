/**
 * The real `iot-micro-agent run` as an IoT Edge module: IOTEDGE_* variables point at a stand-in workload API
 * on a unix socket, and the simulated hub plays edgeHub (IOTEDGE_GATEWAYHOSTNAME). The SAS token is signed
 * by the workload API, edgeHub's certificate is trusted through its trust bundle, and messages leave on the
 * SecurityMessages output with the security marker.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageFile } from '../../src/package-root.js';
import { SimulatedHub, WorkloadApi, type ModuleIdentity } from '../../src/sim-hub/index.js';
import { eventsOf } from '../support/agent-harness.js';
import { waitUntil } from '../support/stream-tally.js';

const CLI = packageFile('dist', 'src', 'cli.js');
const GENERATION_ID = '638000000000000001';
const SECURITY_INTERFACE = 'urn:azureiot:Security:SecurityAgent:1';
let dir: string;
let hub: SimulatedHub;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edge-'));
  hub = await SimulatedHub.start({ stateDir: join(dir, 'hub') });
});
afterAll(async () => {
  await hub.stop();
  await rm(dir, { recursive: true, force: true });
});

function edgeEnvironment(identity: ModuleIdentity, socketPath: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(env)) if (name.startsWith('IOTEDGE_') || /ConnectionString|CONNECTION_STRING/.test(name)) delete env[name];
  return {
    ...env,
    IOTEDGE_WORKLOADURI: `unix://${socketPath}`, IOTEDGE_DEVICEID: identity.deviceId, IOTEDGE_MODULEID: identity.moduleId,
    IOTEDGE_MODULEGENERATIONID: GENERATION_ID, IOTEDGE_IOTHUBHOSTNAME: hub.hubName, IOTEDGE_GATEWAYHOSTNAME: `localhost:${hub.port}`,
    IOTEDGE_APIVERSION: '2019-01-30', IOTEDGE_AUTHSCHEME: 'sasToken',
  };
}

function startModule(config: string, env: NodeJS.ProcessEnv): { child: ChildProcess; lines: string[] } {
  const child = spawn(process.execPath, [CLI, 'run', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'], env });
  const lines: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    let rest = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const parts = (rest + chunk).split('\n');
      rest = parts.pop() ?? '';
      lines.push(...parts.filter((p) => p !== ''));
    });
  }
  return { child, lines };
}

describe('iot-micro-agent run as an IoT Edge module', () => {
  it('waits for the workload API, connects through edgeHub with a token it signed, and sends on the SecurityMessages output with the marker', async () => {
    const identity = hub.createModule('edge-device');
    const socketPath = join(dir, 'workload.sock');
    const config = join(dir, 'edge.json');
    // No connection string and no CA file: both come from the Edge environment.
    await writeFile(config, JSON.stringify({
      stateDir: join(dir, 'state'), logLevel: 'debug',
      twinDefaults: { CollectorsCore_PriorityIntervals: '1s,1s,1s', Heartbeat_MessageFrequency: 'High' },
    }));
    const module = startModule(config, edgeEnvironment(identity, socketPath));
    let workload: WorkloadApi | undefined;
    try {
      // edged not up yet: the module says so in one line and keeps retrying.
      await waitUntil(() => module.lines.some((l) => l.includes('the IoT Edge workload API at unix://') && l.includes('socket does not exist')), 20_000, 'the missing workload socket reported');
      expect(module.child.exitCode).toBeNull();
      workload = await WorkloadApi.start({
        socketPath, trustBundle: hub.caPem, modules: [{ moduleId: identity.moduleId, generationId: GENERATION_ID, primaryKey: identity.primaryKey }],
      });
      const message = await hub.waitForMessage((m) => m.deviceId === identity.deviceId && eventsOf(m.body).some((e) => e.Name === 'Heartbeat'), 60_000);
      expect(message.moduleId).toBe(identity.moduleId);
      expect(message.properties).toMatchObject({ '$.on': 'SecurityMessages', '$.ifid': SECURITY_INTERFACE, '$.ct': 'application/json', '$.ce': 'utf-8' });
      await hub.waitForReported(identity.deviceId, identity.moduleId, (r) => r['latest_state'] === 'success', 20_000);

      const asked = workload.requests.map((r) => `${r.method} ${r.path} ${r.status}`);
      expect(asked).toContain('GET /trust-bundle?api-version=2018-06-28 200');
      expect(asked).toContain(`POST /modules/${identity.moduleId}/genid/${GENERATION_ID}/sign?api-version=2018-06-28 200`);
      expect(workload.requests.every((r) => r.status === 200)).toBe(true);
      expect(module.lines.some((l) => l.includes(`FROM /messages/modules/${identity.moduleId}/outputs/SecurityMessages INTO $upstream`))).toBe(true);

      module.child.kill('SIGTERM');
      const [code] = (await once(module.child, 'exit')) as [number | null];
      expect(code).toBe(0);
    } catch (err) {
      console.error(module.lines.slice(-25).join('\n'));
      throw err;
    } finally {
      module.child.kill('SIGKILL');
      await workload?.stop();
    }
    const all = module.lines.join('\n');
    expect(all).not.toContain(identity.primaryKey);
    expect(all).not.toMatch(/SharedAccessSignature sr=/);
  });

  it('says what to check under Edge when the hub refuses the token the workload API signed, keeps retrying, and stops cleanly', async () => {
    const identity = hub.createModule('edge-wrong-key');
    const socketPath = join(dir, 'wrong-key.sock');
    const workload = await WorkloadApi.start({
      socketPath, trustBundle: hub.caPem,
      modules: [{ moduleId: identity.moduleId, generationId: GENERATION_ID, primaryKey: Buffer.alloc(32, 1).toString('base64') }],
    });
    const config = join(dir, 'wrong-key.json');
    await writeFile(config, JSON.stringify({ stateDir: join(dir, 'wrong-key-state') }));
    const module = startModule(config, edgeEnvironment(identity, socketPath));
    try {
      await waitUntil(() => module.lines.some((l) => l.includes('refused the credentials (the IoT Edge workload API signed for a module identity or generation')), 30_000, 'the Edge advice');
      expect(module.lines.some((l) => l.includes('SharedAccessKey'))).toBe(false);
      module.child.kill('SIGTERM');
      const [code] = (await once(module.child, 'exit')) as [number | null];
      expect(code).toBe(0);
    } finally {
      module.child.kill('SIGKILL');
      await workload.stop();
    }
  });

  it('refuses an incomplete Edge environment with one line and exit 2, and starts nothing', async () => {
    const identity = hub.createModule('edge-partial');
    const env = edgeEnvironment(identity, join(dir, 'none.sock'));
    delete env['IOTEDGE_MODULEGENERATIONID'];
    const config = join(dir, 'partial.json');
    await writeFile(config, JSON.stringify({ stateDir: join(dir, 'partial-state') }));
    const module = startModule(config, env);
    const [code] = (await once(module.child, 'exit')) as [number | null];
    expect(code).toBe(2);
    expect(module.lines).toHaveLength(1);
    expect(module.lines[0]).toContain('IOTEDGE_MODULEGENERATIONID');
  });
});
