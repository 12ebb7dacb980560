import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageFile } from '../../src/package-root.js';
import { SimulatedHub } from '../../src/sim-hub/index.js';
import { eventsOf } from '../support/agent-harness.js';

let dir: string;
let hub: SimulatedHub;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'run-cli-'));
  hub = await SimulatedHub.start({ stateDir: join(dir, 'hub') });
});
afterAll(async () => {
  await hub.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('iot-micro-agent run, as the service runs it', () => {
  it('connects with the config file and connection string file, sends, and exits 0 promptly on SIGTERM', async () => {
    const identity = hub.createModule('service-device');
    const csFile = join(dir, 'connection_string.txt');
    await writeFile(csFile, `${identity.connectionString}\n`, { mode: 0o600 });
    const config = join(dir, 'config.json');
    await writeFile(config, JSON.stringify({
      connectionStringFile: csFile, trustedCaFile: hub.caFile, stateDir: join(dir, 'state'), hostRoot: '/', logLevel: 'info',
      twinDefaults: { CollectorsCore_PriorityIntervals: '1s,2s,3s', Heartbeat_MessageFrequency: 'High', Process_Disabled: true, Login_Disabled: true, NetworkActivity_Disabled: true },
    }));
    const child = spawn(process.execPath, [packageFile('dist', 'src', 'cli.js'), 'run', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    try {
      await hub.waitForReported(identity.deviceId, identity.moduleId, (r) => r['latest_state'] === 'success', 15_000);
      await hub.waitForMessage((m) => m.deviceId === identity.deviceId && eventsOf(m.body).some((e) => e.Name === 'Heartbeat'), 15_000);
      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number | null];
      expect(code).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
    const lines = stdout.trim().split('\n').map((l) => JSON.parse(l) as { msg?: string });
    expect(lines.map((l) => l.msg)).toEqual(expect.arrayContaining(['agent started', 'connected to the hub', 'agent stopped']));
    expect(stdout).not.toContain(identity.primaryKey);
  }, 45_000);
});
