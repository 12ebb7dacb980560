/** Netlink mode end to end: every run of a short program reaches the simulated hub, in HitCounts that add up. */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { loadCnProc } from '../../../collectors/process/cn-proc-addon.js';
import { UNAVAILABLE } from '../../../collectors/process/netlink-watcher.js';
import { FAST_TWIN, eventsOf, startRig } from '../../support/agent-harness.js';

const load = loadCnProc();

describe.skipIf(process.platform !== 'linux' || 'reason' in load)('Netlink mode through the agent and the simulated hub', () => {
  it('delivers 1,000 runs of /bin/true as ProcessCreate hits that add up to 1,000', async () => {
    const rig = await startRig({ twinDefaults: { ...FAST_TWIN, Process_Disabled: false, Process_Mode: 2, Process_CacheSize: 4096 } });
    const { hub, identity } = rig;
    await hub.waitForReported(identity.deviceId, identity.moduleId, (r) => {
      const p = (r['collectors'] as Record<string, { detail?: string }> | undefined)?.['Process'];
      return typeof p?.detail === 'string' && p.detail.startsWith('netlink');
    }, 20_000);
    const dir = mkdtempSync(join(tmpdir(), 'cn-hub-'));
    try {
      // A copy under a unique name, so this loop's processes are told apart from the host's.
      const prog = join(dir, `true-${process.pid}-${Date.now() % 100000}`);
      copyFileSync('/bin/true', prog);
      const loop = spawn('sh', ['-c', `i=0; while [ $i -lt 1000 ]; do ${prog}; i=$((i+1)); done`], { stdio: 'ignore' });
      await once(loop, 'exit');
      const comm = `[${basename(prog).slice(0, 15)}]`;
      const hits = (): { named: number; unavailable: number } => {
        let named = 0;
        let unavailable = 0;
        for (const m of hub.messages({ deviceId: identity.deviceId })) {
          for (const e of eventsOf(m.body)) {
            if (e.Name !== 'ProcessCreate') continue;
            const item = (e['Payload'] as Record<string, unknown>[])[0] ?? {};
            const count = Number((item['ExtraDetails'] as Record<string, string> | undefined)?.['HitCount'] ?? 1);
            if (item['CommandLine'] === prog || item['CommandLine'] === comm) named += count;
            else if (item['CommandLine'] === UNAVAILABLE) unavailable += count;
          }
        }
        return { named, unavailable };
      };
      // Processes gone before their command line could be read travel as "unavailable" (shared with any
      // other host process that vanished as fast), never dropped: together they cover all 1,000 runs.
      await vi.waitFor(() => {
        const h = hits();
        if (h.named + h.unavailable < 1000) throw new Error(`${h.named} + ${h.unavailable} of 1000 so far`);
      }, { timeout: 30_000, interval: 200 });
      const h = hits();
      expect(h.named).toBeGreaterThan(0);
      expect(h.named).toBeLessThanOrEqual(1000);
      console.info(`[netlink hub] 1000 runs: ${h.named} hits with the program's name, ${h.unavailable} unavailable`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
