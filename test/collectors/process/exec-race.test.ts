/** Processes listed between fork and exec, and execs without a fork, on the real /proc (polling mode). */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createProcessCollector } from '../../../collectors/process/index.js';
import type { Collector, CollectedEvent } from '../../../collectors/types.js';
import { systemClock } from '../../../src/clock.js';
import { runSleepSpawner } from '../../support/sleep-spawner.js';
import { RecordingSink, collectorOptions } from './helpers.js';

const onLinux = process.platform === 'linux';
const running: Array<{ collector: Collector }> = [];
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const r of running.splice(0)) await r.collector.stop();
});

async function pollingCollector(intervalUs: number): Promise<RecordingSink> {
  const sink = new RecordingSink();
  const collector = createProcessCollector(collectorOptions('/', systemClock, { settings: { Process_Mode: 3, Process_PollingInterval: intervalUs } }));
  running.push({ collector });
  await collector.start?.(sink);
  return sink;
}

const createsOf = (sink: RecordingSink, pid: number): CollectedEvent[] =>
  sink.named('ProcessCreate').filter((e) => e.payload[0]?.['ProcessId'] === pid);
const unique = (): string => `${process.pid}${Date.now() % 100000}`;

describe.skipIf(!onLinux)('exec seen by the poller', () => {
  it('reports a child caught between fork and exec under the program it execs, not as its parent', async () => {
    const sink = await pollingCollector(20000);
    const arg = `3.${unique()}`;
    // perl (Essential in Debian) forks, and the child waits 400 ms before exec: many polls see it as perl.
    const perl = spawn('perl', ['-e', `if (!fork) { select(undef, undef, undef, 0.4); exec 'sleep', '${arg}'; } wait;`], { stdio: 'ignore' });
    children.push(perl);
    const create = await vi.waitFor(() => {
      const e = sink.named('ProcessCreate').find((x) => x.payload[0]?.['CommandLine'] === `sleep ${arg}`);
      if (!e) throw new Error('no ProcessCreate for the sleep yet');
      return e;
    }, { timeout: 5000, interval: 20 });
    const childPid = create.payload[0]?.['ProcessId'] as number;
    expect(create.payload[0]).toMatchObject({ ParentProcessId: perl.pid, Executable: expect.stringMatching(/sleep$|coreutils$|busybox$/) });
    // The fork child was never reported as perl.
    expect(createsOf(sink, childPid).map((e) => e.payload[0]?.['CommandLine'])).toEqual([`sleep ${arg}`]);
  });

  it('reports an exec without a fork (sh -c "...; exec payload") as a new ProcessCreate for the same pid', async () => {
    const sink = await pollingCollector(20000);
    const arg = `3.${unique()}`;
    const script = `sleep 0.4; exec sleep ${arg}`;
    const sh = spawn('sh', ['-c', script], { stdio: 'ignore' });
    children.push(sh);
    const pid = sh.pid as number;
    await vi.waitFor(() => {
      if (createsOf(sink, pid).length < 2) throw new Error('waiting for two ProcessCreate');
    }, { timeout: 5000, interval: 20 });
    expect(createsOf(sink, pid).map((e) => e.payload[0]?.['CommandLine'])).toEqual([`sh -c ${script}`, `sleep ${arg}`]);
    sh.kill('SIGTERM');
    await once(sh, 'exit');
  });

  // PROCESS_STRESS_ROUNDS repeats the whole round (default 1: 5-20 s each, by load).
  const rounds = Number(process.env.PROCESS_STRESS_ROUNDS ?? 1);
  it(`names every child of a large Node parent by its own command line (${rounds} round(s) of 40 children, polled every 10 ms)`, async () => {
    const sink = await pollingCollector(10000);
    for (let round = 0; round < rounds; round++) {
      const run = runSleepSpawner({ count: 40, gapMs: 10, seconds: '1', ballastMb: 128 });
      await run.done;
      await vi.waitFor(() => {
        const missing = run.children.filter((c) => sink.named('ProcessTerminate').every((e) => e.payload[0]?.['ProcessId'] !== c.pid));
        if (missing.length > 0) throw new Error(`${missing.length} children not seen ending yet`);
      }, { timeout: 10_000, interval: 50 });
      const wrong = run.children
        .map((c) => ({ pid: c.pid, want: `sleep ${c.args.join(' ')}`, got: createsOf(sink, c.pid).map((e) => e.payload[0]?.['CommandLine']) }))
        .filter((c) => c.got.length !== 1 || c.got[0] !== c.want);
      expect(JSON.stringify(wrong)).toBe("[]");
      sink.take();
    }
  }, 90_000 * rounds);
});
