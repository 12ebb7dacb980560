import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageFile } from '../../src/package-root.js';
import { SimulatedHub } from '../../src/sim-hub/index.js';
import { eventsOf } from '../support/agent-harness.js';
import { startStorm } from '../support/storm-load.mjs';
import { sleep, waitUntil } from '../support/twin-push.js';

const CLI = packageFile('dist', 'src', 'cli.js');
const SECONDS = 10;
// Started as the launcher starts it: with the Node flags of the CLI's shebang line.
const LAUNCHER_FLAGS = (readFileSync(CLI, 'utf8').split('\n', 1)[0] ?? '').split(/\s+/).filter((w) => w.startsWith('--'));
let dir: string;
let hub: SimulatedHub;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'storm-'));
  hub = await SimulatedHub.start({ stateDir: join(dir, 'hub') });
});
afterAll(async () => {
  await hub.stop();
  await rm(dir, { recursive: true, force: true });
});

function field(status: string, key: string): number {
  return Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? Number.NaN) / 1024;
}
async function procStatus(pid: number): Promise<{ rssMb: number; ticks: number }> {
  const { readFile } = await import('node:fs/promises');
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { rssMb: field(await readFile(`/proc/${pid}/status`, 'utf8'), 'VmRSS'), ticks: Number(f[11]) + Number(f[12]) };
}

interface StatItem { CollectedEvents: number; DroppedEvents: number; ExtraDetails?: Record<string, string> }

describe('a process and connection storm', () => {
  it('keeps the real agent bounded, answering its twin, counting what it drops, and quiet again afterwards', async () => {
    const identity = hub.createModule('storm-device');
    const cs = join(dir, 'cs.txt');
    await writeFile(cs, identity.connectionString, { mode: 0o600 });
    const config = join(dir, 'config.json');
    await writeFile(config, JSON.stringify({
      connectionStringFile: cs, trustedCaFile: hub.caFile, stateDir: join(dir, 'state'), logLevel: 'warn',
      twinDefaults: { CollectorsCore_PriorityIntervals: '3s,4s,5s', SBoM_Disabled: true, Baseline_Disabled: true },
    }));
    const agent = spawn(process.execPath, [...LAUNCHER_FLAGS, CLI, 'run', '--config', config], { stdio: ['ignore', 'ignore', 'ignore'] });
    const pid = agent.pid ?? 0;
    const storm = { stop: (): void => undefined };
    try {
      await hub.waitForReported(identity.deviceId, identity.moduleId, (r) => r['latest_state'] === 'success', 30_000);
      const running = startStorm({ processesPerSecond: 2000, connectionsPerSecond: 2000, seconds: SECONDS, spawners: 2 });
      storm.stop = running.stop;
      let rssMaxMb = 0;
      let over = false;
      const done = running.done.then((c) => {
        over = true;
        return c;
      });
      // A valid desired change pushed mid-storm is answered.
      await sleep(3_000);
      // Answered means the reported section shows this change (a status report meanwhile does not count).
      hub.patchDesired(identity.deviceId, identity.moduleId, { Login_CacheSize: 300 });
      const loginCacheSize = (r: Record<string, unknown>): unknown =>
        ((r['collectors'] as Record<string, { settings?: Record<string, unknown> }> | undefined)?.['Login']?.settings ?? {})['Login_CacheSize'];
      const answered = hub.waitForReported(identity.deviceId, identity.moduleId,
        (r) => r['latest_state'] === 'success' && loginCacheSize(r) === 300, 10_000);
      while (!over) {
        rssMaxMb = Math.max(rssMaxMb, (await procStatus(pid)).rssMb);
        await sleep(500);
      }
      await answered;
      const achieved = await done;
      expect(achieved.processes).toBeGreaterThan(0);
      expect(achieved.connections).toBeGreaterThan(0);

      // Statistics list both storm collectors, and they collected something.
      const totals = (): Map<string, { collected: number; dropped: number }> => {
        const sums = new Map<string, { collected: number; dropped: number }>();
        for (const m of hub.messages({ deviceId: identity.deviceId })) {
          for (const e of eventsOf(m.body)) {
            if (e.Name !== 'DroppedEventsStatistics') continue;
            for (const item of e['Payload'] as StatItem[]) {
              const c = item.ExtraDetails?.['Collector'] ?? '?';
              const s = sums.get(c) ?? { collected: 0, dropped: 0 };
              sums.set(c, { collected: s.collected + item.CollectedEvents, dropped: s.dropped + item.DroppedEvents });
            }
          }
        }
        return sums;
      };
      await waitUntil(() => (totals().get('Process')?.collected ?? 0) > 0 && (totals().get('NetworkActivity')?.collected ?? 0) > 0, 20_000, 250);
      // Nothing counted twice or invented: every Process hit that arrived by T is in the statistics sent after T.
      const T = Date.now();
      const arrivedHits = hub.messages({ deviceId: identity.deviceId }).filter((m) => m.receivedAt <= T)
        .flatMap((m) => eventsOf(m.body)).filter((e) => e.Name === 'ProcessCreate' || e.Name === 'ProcessTerminate')
        .reduce((n, e) => n + Number((e['Payload'] as StatItem[])[0]?.ExtraDetails?.['HitCount'] ?? 1), 0);
      const statsAfter = (): number => hub.messages({ deviceId: identity.deviceId })
        .filter((m) => m.receivedAt > T && eventsOf(m.body).some((e) => e.Name === 'DroppedEventsStatistics')).length;
      await waitUntil(() => statsAfter() >= 2, 30_000, 250);
      expect(arrivedHits).toBeGreaterThan(0);
      expect(arrivedHits).toBeLessThanOrEqual(totals().get('Process')?.collected ?? 0);

      // Back near idle: some 2 s window within 30 s after the storm uses under 20 % of a core.
      let quiet = false;
      const end = Date.now() + 30_000;
      while (!quiet && Date.now() < end) {
        const a = (await procStatus(pid)).ticks;
        await sleep(2_000);
        quiet = ((await procStatus(pid)).ticks - a) / 2 < 20;
      }
      expect(quiet).toBe(true);
      rssMaxMb = Math.max(rssMaxMb, (await procStatus(pid)).rssMb);
      expect(rssMaxMb).toBeLessThan(200);
      expect(agent.exitCode).toBeNull();
    } finally {
      storm.stop();
      agent.kill('SIGKILL');
    }
  }, 90_000);
});
