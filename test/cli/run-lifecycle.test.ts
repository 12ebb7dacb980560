import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmod, chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageFile } from '../../src/package-root.js';
import { SimulatedHub, type ModuleIdentity } from '../../src/sim-hub/index.js';
import { eventsOf } from '../support/agent-harness.js';
import { waitUntil } from '../support/stream-tally.js';

const CLI = packageFile('dist', 'src', 'cli.js');
const run = promisify(execFile);
let dir: string;
let hub: SimulatedHub;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'run-lifecycle-'));
  hub = await SimulatedHub.start({ stateDir: join(dir, 'hub') });
});
afterAll(async () => {
  await hub.stop();
  await rm(dir, { recursive: true, force: true });
});

interface Service {
  child: ChildProcess;
  /** Every line the process wrote, stdout and stderr. */
  lines: string[];
  msgs(): string[];
}

function startService(config: string): Service {
  const child = spawn(process.execPath, [CLI, 'run', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
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
  const msgs = (): string[] => lines.map((l) => {
    try {
      return String((JSON.parse(l) as { msg?: unknown }).msg);
    } catch {
      return l;
    }
  });
  return { child, lines, msgs };
}

async function writeConfig(file: string, identity: ModuleIdentity, extra: Record<string, unknown>): Promise<void> {
  const cs = join(dir, `${identity.deviceId}.cs`);
  await writeFile(cs, `${identity.connectionString}\n`, { mode: 0o600 });
  await writeFile(file, JSON.stringify({
    connectionStringFile: cs, trustedCaFile: hub.caFile, stateDir: join(dir, `${identity.deviceId}-state`),
    twinDefaults: { CollectorsCore_PriorityIntervals: '1s,1s,1s', Heartbeat_MessageFrequency: 'High' }, ...extra,
  }));
}

const heartbeatAfter = (identity: ModuleIdentity, t: number, timeoutMs = 20_000) => hub.waitForMessage(
  (m) => m.deviceId === identity.deviceId && m.receivedAt > t && eventsOf(m.body).some((e) => e.Name === 'Heartbeat'), timeoutMs);

describe('iot-micro-agent run as a service', () => {
  it('reloads on SIGHUP, refuses a bad config with one line and keeps running, exits 0 on SIGTERM, and never logs a secret at trace level', async () => {
    const identity = hub.createModule('lifecycle-device');
    const config = join(dir, 'lifecycle.json');
    await writeConfig(config, identity, { logLevel: 'trace' });
    const service = startService(config);
    try {
      await hub.waitForReported(identity.deviceId, identity.moduleId, (r) => r['latest_state'] === 'success', 20_000);
      await heartbeatAfter(identity, 0);
      // Exercise the paths that talk about credentials: a desired change, a dropped link, a refused reconnect.
      hub.patchDesired(identity.deviceId, identity.moduleId, { Process_MessageFrequency: 'High' });
      hub.refuseAuth(true);
      hub.dropAllConnections();
      const before = service.lines.length;
      await waitUntil(() => service.lines.slice(before).some((l) => /"level":(40|50)/.test(l)), 20_000, 'a warning about the refused reconnect');
      hub.refuseAuth(false);
      await heartbeatAfter(identity, Date.now(), 90_000);

      await writeFile(config, '{ "logLevel": "debug", ');
      service.child.kill('SIGHUP');
      await waitUntil(() => service.msgs().includes('configuration reload refused; the running configuration stays'), 10_000, 'the refusal');
      const refusal = service.lines.filter((l) => l.includes('configuration reload refused'));
      expect(refusal).toHaveLength(1);
      expect(refusal[0]).toContain('is not valid JSON');
      await heartbeatAfter(identity, Date.now());

      await writeConfig(config, identity, { logLevel: 'debug' });
      service.child.kill('SIGHUP');
      await waitUntil(() => service.msgs().includes('configuration reloaded'), 10_000, 'the log level reload');
      expect(service.msgs().filter((m) => m === 'agent started')).toHaveLength(1);

      await writeConfig(config, identity, { logLevel: 'trace', twinDefaults: { CollectorsCore_PriorityIntervals: '1s,1s,1s', Heartbeat_MessageFrequency: 'Medium' } });
      service.child.kill('SIGHUP');
      await waitUntil(() => service.msgs().filter((m) => m === 'agent started').length === 2, 60_000, 'the agent restarted with the new config');
      await heartbeatAfter(identity, Date.now());

      service.child.kill('SIGTERM');
      const [code] = (await once(service.child, 'exit')) as [number | null];
      expect(code).toBe(0);
      expect(service.msgs()).toEqual(expect.arrayContaining(['stopping', 'agent stopped']));
    } catch (err) {
      console.error(service.lines.slice(-25).join('\n'));
      throw err;
    } finally {
      service.child.kill('SIGKILL');
    }
    const all = service.lines.join('\n');
    console.info(`[run lifecycle] ${service.lines.length} log lines at trace/debug level grepped for secrets`);
    expect(service.lines.length).toBeGreaterThanOrEqual(15);
    expect(all).not.toContain(identity.primaryKey);
    expect(all).not.toContain(encodeURIComponent(identity.primaryKey));
    expect(all).not.toContain(identity.connectionString);
    expect(all).not.toMatch(/SharedAccessKey=(?!\[REDACTED\])/);
    expect(all).not.toMatch(/sig=(?!\[REDACTED\])/);
    expect(all).not.toMatch(/SharedAccessSignature sr=/);
  }, 180_000);
});

describe('the connection string file', () => {
  async function runOnce(config: string): Promise<{ code: number; stderr: string }> {
    try {
      await run(process.execPath, [CLI, 'run', '--config', config], { timeout: 20_000 });
      return { code: 0, stderr: '' };
    } catch (err) {
      const e = err as { code: number; stderr: string };
      return { code: e.code, stderr: e.stderr };
    }
  }

  it('is refused with exit 2 and one line when group or others can read or write it', async () => {
    const identity = hub.createModule('exposed-device');
    const config = join(dir, 'exposed.json');
    await writeConfig(config, identity, {});
    const cs = join(dir, `${identity.deviceId}.cs`);
    for (const mode of [0o640, 0o604, 0o620, 0o644]) {
      await chmod(cs, mode);
      const r = await runOnce(config);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toEqual([
        `iot-micro-agent: connection string file ${cs} is readable or writable by group or others (mode 0${mode.toString(8)}): chmod 600 it, or write it with iot-micro-agent provision`,
      ]);
    }
  }, 60_000);

  it.skipIf(process.geteuid?.() !== 0)('is refused when another user owns it (needs root to chown)', async () => {
    const identity = hub.createModule('foreign-owner-device');
    const config = join(dir, 'foreign.json');
    await writeConfig(config, identity, {});
    const cs = join(dir, `${identity.deviceId}.cs`);
    await chown(cs, 1, 1);
    const r = await runOnce(config);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`is owned by uid 1, not by the agent's user (uid 0) or root`);
  }, 30_000);
});
