import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadChangeGate } from '../../../collectors/change-gate.js';
import { createProcessCollector } from '../../../collectors/process/index.js';
import { TimerLog } from '../../support/timer-log.js';
import { RecordingSink, collectorOptions } from './helpers.js';

const gate = process.platform === 'linux' ? loadChangeGate() : undefined;
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

function pidsOf(sink: RecordingSink, name: string): number[] {
  return sink.events.filter((e) => e.name === name).map((e) => e.payload[0]?.['ProcessId'] as number);
}

describe.skipIf(gate === undefined)('Polling mode woken by the change gate (the cn-proc addon\'s thread; skipped: addon not loadable here)', () => {
  it('keeps no 100 ms timer while idle, yet reports processes started later, with their command lines and ends', async () => {
    const clock = new TimerLog();
    const sink = new RecordingSink();
    const collector = createProcessCollector(collectorOptions('/', clock, {
      settings: { Process_Mode: 3, Process_PollingInterval: 100000 }, ...(gate ? { changeGate: gate } : {}),
    }));
    await collector.start?.(sink);
    try {
      expect(collector.status?.().detail).toMatch(/woken by \/proc\/loadavg changes/);
      // Only the once-a-second tick runs, unless a wake-up is being handled right now: a host busy with other tests
      // can take a while to give a second with no process started.
      await vi.waitFor(() => expect(clock.intervals()).toEqual([1000]), { timeout: 30_000, interval: 20 });
      const tag = `0.${process.pid}${Date.now() % 100000}`;
      const started = [0, 1, 2, 3, 4].map((i) => {
        const child = spawn('sleep', ['0.4', `${tag}${i}`], { stdio: 'ignore' });
        children.push(child);
        return child;
      });
      await Promise.all(started.map((c) => once(c, 'exit')));
      const pids = started.map((c) => c.pid as number);
      await vi.waitFor(() => {
        expect(pidsOf(sink, 'ProcessCreate')).toEqual(expect.arrayContaining(pids));
        expect(pidsOf(sink, 'ProcessTerminate')).toEqual(expect.arrayContaining(pids));
      }, { timeout: 10_000, interval: 50 });
      const creates = sink.events.filter((e) => e.name === 'ProcessCreate' && pids.includes(e.payload[0]?.['ProcessId'] as number));
      expect(creates.map((e) => e.payload[0]?.['CommandLine']).sort()).toEqual(pids.map((_, i) => `sleep 0.4 ${tag}${i}`));
      // Quiet again: back to the one-second tick.
      await vi.waitFor(() => expect(clock.intervals()).toEqual([1000]), { timeout: 30_000, interval: 20 });
    } finally {
      await collector.stop();
    }
    expect(clock.intervals()).toEqual([]);
  }, 90_000);

  it('without a gate polls on its 100 ms timer as before', async () => {
    const clock = new TimerLog();
    const collector = createProcessCollector(collectorOptions('/', clock, { settings: { Process_Mode: 3, Process_PollingInterval: 100000 } }));
    await collector.start?.(new RecordingSink());
    try {
      expect(clock.intervals()).toEqual([100]);
      expect(collector.status?.().detail).not.toMatch(/woken/);
    } finally {
      await collector.stop();
    }
  });

  it('polls on its 100 ms timer when the gate refuses the file', async () => {
    const clock = new TimerLog();
    const refusing = { watch: (): never => { throw new Error('watchFiles: cannot start the thread'); } };
    const collector = createProcessCollector(collectorOptions('/', clock, { settings: { Process_Mode: 3, Process_PollingInterval: 100000 }, changeGate: refusing }));
    await collector.start?.(new RecordingSink());
    try {
      expect(clock.intervals()).toEqual([100]);
      expect(collector.status?.()).toMatchObject({ state: 'running' });
    } finally {
      await collector.stop();
    }
    expect(clock.intervals()).toEqual([]);
  });
});
