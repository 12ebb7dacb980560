/** Netlink mode on the real kernel (CI runs as root on a kernel with the process connector). */
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DISABLE_ENV, loadCnProc, type CnProcAddon } from '../../../collectors/process/cn-proc-addon.js';
import { UNAVAILABLE } from '../../../collectors/process/netlink-watcher.js';
import { ProcessCollector } from '../../../collectors/process/process-collector.js';
import type { CollectedEvent } from '../../../collectors/types.js';
import { systemClock } from '../../../src/clock.js';
import { RecordingSink, collectorOptions } from './helpers.js';

const load = loadCnProc();
const why = 'reason' in load ? load.reason : '';
const running: ProcessCollector[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const c of running.splice(0)) await c.stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  delete process.env[DISABLE_ENV];
});

async function collector(mode: number): Promise<{ c: ProcessCollector; sink: RecordingSink }> {
  const sink = new RecordingSink();
  const c = new ProcessCollector(collectorOptions('/', systemClock, { settings: { Process_Mode: mode } }));
  running.push(c);
  await c.start(sink);
  return { c, sink };
}
const payloadOf = (e: CollectedEvent): Record<string, unknown> => e.payload[0] ?? {};
const tag = (): string => `${process.pid}${Date.now() % 100000}`;

describe.skipIf(process.platform !== 'linux')('the process connector addon', () => {
  it('loads here (CI has the connector and root), or says why not', () => {
    expect(why).toBe('');
  });

  // The prebuilt binary shipped in the package, and the source build when there is one (.ci/run makes it).
  const root = join(import.meta.dirname, '../../../packages/cn-proc');
  const binaries = [
    ['prebuilt', join(root, 'prebuilds/linux-x64/node.napi.glibc.node')],
    ['built from source', join(root, 'build/Release/cn_proc.node')],
  ] as const;
  // .ci/run builds from source and sets CN_PROC_REQUIRE_SOURCE_BUILD=1: a missing build then fails, not skips.
  for (const [kind, path] of binaries) {
    const required = process.env['CN_PROC_REQUIRE_SOURCE_BUILD'] === '1';
    it.skipIf((!existsSync(path) && !required) || process.arch !== 'x64')(`reports fork, exec and exit through the ${kind} binary`, async () => {
      const addon = createRequire(import.meta.url)(path) as CnProcAddon;
      const records: number[][] = [];
      const handle = addon.open((buf) => {
        const r = new Int32Array(buf.buffer, buf.byteOffset, buf.length / 4);
        for (let i = 0; i < r.length; i += 6) records.push([r[i] as number, r[i + 1] as number, r[i + 2] as number]);
      }, 1 << 20, true);
      try {
        const child = spawn('sh', ['-c', 'exit 7'], { stdio: 'ignore' });
        await once(child, 'exit');
        await vi.waitFor(() => {
          if (!records.some((r) => r[0] === 3 && r[1] === child.pid)) throw new Error('no exit record yet');
        }, { timeout: 5000, interval: 20 });
        const mine = records.filter((r) => r[1] === child.pid);
        expect(mine).toEqual([[1, child.pid, process.pid], [2, child.pid, 0], [3, child.pid, 7 << 8]]);
      } finally {
        addon.close(handle);
        addon.close(handle);
      }
    });
  }
});

describe.skipIf(process.platform !== 'linux' || why !== '')('Netlink mode', () => {
  it('reports 1,000 runs of a short program, each with its parent, and says it runs netlink', async () => {
    const { c, sink } = await collector(2);
    expect(c.status()).toMatchObject({ state: 'running', detail: expect.stringMatching(/^netlink/) });
    const dir = mkdtempSync(join(tmpdir(), 'cn-true-'));
    dirs.push(dir);
    const prog = join(dir, `true-${tag()}`);
    copyFileSync('/bin/true', prog);
    const loop = spawn('sh', ['-c', `i=0; while [ $i -lt 1000 ]; do ${prog}; i=$((i+1)); done`], { stdio: 'ignore' });
    await once(loop, 'exit');
    const mine = (): CollectedEvent[] => sink.named('ProcessCreate').filter((e) => payloadOf(e)['ParentProcessId'] === loop.pid);
    await vi.waitFor(() => {
      if (mine().length < 1000) throw new Error(`${mine().length} of 1000 so far`);
    }, { timeout: 20_000, interval: 50 });
    expect(mine()).toHaveLength(1000);
    // Gone before even the addon could read it: still reported, marked unavailable, never dropped.
    const lines = mine().map((e) => payloadOf(e)['CommandLine']);
    // Already a zombie when read: the kernel still knows its command name.
    const comm = `[${basename(prog).slice(0, 15)}]`;
    expect(lines.filter((l) => l !== prog && l !== UNAVAILABLE && l !== comm)).toEqual([]);
    console.info(`[netlink] 1000 execs: ${lines.filter((l) => l === prog).length} with their command line, ${lines.filter((l) => l === comm).length} with the command name only, ${lines.filter((l) => l === UNAVAILABLE).length} unavailable`);
    expect(c.overflows).toBe(0);
  }, 60_000);

  it('reads the command lines of 20 processes of 10 ms, each with a unique argument', async () => {
    const { sink } = await collector(2);
    const args = Array.from({ length: 20 }, (_, i) => `0.01${tag()}${String(i).padStart(2, '0')}`);
    for (const arg of args) await once(spawn('sleep', [arg], { stdio: 'ignore' }), 'exit');
    await vi.waitFor(() => {
      const lines = new Set(sink.named('ProcessCreate').map((e) => payloadOf(e)['CommandLine']));
      const missing = args.filter((a) => !lines.has(`sleep ${a}`));
      if (missing.length > 0) throw new Error(`missing ${missing.join(', ')}`);
    }, { timeout: 10_000, interval: 50 });
  });

  it("reports the exit status of sh -c 'exit 7' as 7, and threads are not processes", async () => {
    const { sink } = await collector(2);
    const sh = spawn('sh', ['-c', 'exit 7'], { stdio: 'ignore' });
    // A Node child with worker threads: its threads must not show up as processes.
    const threads = spawn(process.execPath, ['-e', "const { Worker } = require('node:worker_threads'); new Worker('1', { eval: true });"], { stdio: 'ignore' });
    await Promise.all([once(sh, 'exit'), once(threads, 'exit')]);
    const end = await vi.waitFor(() => {
      const e = sink.named('ProcessTerminate').find((x) => payloadOf(x)['ProcessId'] === sh.pid);
      if (!e || !sink.named('ProcessTerminate').some((x) => payloadOf(x)['ProcessId'] === threads.pid)) throw new Error('not yet');
      return e;
    }, { timeout: 5000, interval: 20 });
    // Executable is the shell, or marked unavailable when it exited before /proc could be read.
    expect(payloadOf(end)).toMatchObject({ ProcessId: sh.pid, ExitStatus: 7, Executable: expect.stringMatching(/sh$|dash$|bash$|^\[unavailable/) });
    const created = sink.named('ProcessCreate').filter((e) => payloadOf(e)['ParentProcessId'] === threads.pid);
    expect(created).toEqual([]);
  });

  it('reports an exec without a fork as a new ProcessCreate for the same pid', async () => {
    const { sink } = await collector(2);
    const arg = `0.0${tag()}`;
    const sh = spawn('sh', ['-c', `exec sleep ${arg}`], { stdio: 'ignore' });
    await once(sh, 'exit');
    await vi.waitFor(() => {
      const lines = sink.named('ProcessCreate').filter((e) => payloadOf(e)['ProcessId'] === sh.pid).map((e) => payloadOf(e)['CommandLine']);
      expect(lines).toContain(`sleep ${arg}`);
      expect(lines.length).toBe(2);
    }, { timeout: 5000, interval: 20 });
  });
});

describe.skipIf(process.platform !== 'linux')('without the addon', () => {
  it('Auto polls and says why; Netlink fails with the reason', async () => {
    process.env[DISABLE_ENV] = '1';
    const auto = await collector(1);
    expect(auto.c.status()).toEqual({
      state: 'running',
      detail: expect.stringMatching(new RegExp(`^polling every 100 ms \\(Process_Mode 1 Auto: process connector addon disabled \\(${DISABLE_ENV}=1\\)\\)`)) as unknown,
    });
    const netlink = await collector(2);
    expect(netlink.c.status()).toEqual({
      state: 'failed',
      detail: `Process_Mode 2 Netlink requested but process connector addon disabled (${DISABLE_ENV}=1)`,
    });
    expect(netlink.sink.errors).toHaveLength(1);
  });

  it('a child agent with the switch set polls (the addon is not even loaded)', () => {
    const script = `import('${join(import.meta.dirname, '../../../dist/collectors/process/cn-proc-addon.js')}').then((m) => console.log(JSON.stringify(m.loadCnProc())))`;
    const out = execFileSync(process.execPath, ['-e', script], { env: { ...process.env, [DISABLE_ENV]: '1' }, encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({ reason: `process connector addon disabled (${DISABLE_ENV}=1)` });
  });
});
