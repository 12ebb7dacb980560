import { appendFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createProcessCollector } from '../../../collectors/process/index.js';
import { createNodeHostFs, type HostFs } from '../../../collectors/process/host-fs.js';
import { ProcessCollector } from '../../../collectors/process/process-collector.js';
import { planProcessCollection } from '../../../collectors/process/settings.js';
import { FakeClock, FakeHost, RecordingSink, collectorOptions, fixturePolls, settle } from './helpers.js';

const hosts: FakeHost[] = [];
afterEach(() => {
  for (const h of hosts.splice(0)) h.dispose();
});

function hostWith(fixture: string, poll: number): { host: FakeHost; polls: string[] } {
  const host = new FakeHost();
  hosts.push(host);
  const polls = fixturePolls(fixture);
  host.load(polls[poll] as string);
  return { host, polls };
}

function captureLog(): { log: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { log: pino({ level: 'warn' }, stream), lines };
}

describe('Process_Mode and Process_PollingInterval', () => {
  it('polls every Process_PollingInterval microseconds, 100 ms by default', () => {
    expect(planProcessCollection({}).intervalMs).toBe(100);
    expect(planProcessCollection({ Process_PollingInterval: 250000 }).intervalMs).toBe(250);
    expect(planProcessCollection({ Process_PollingInterval: '500000' }).intervalMs).toBe(500);
    expect(planProcessCollection({ Process_PollingInterval: 1 }).intervalMs).toBe(10);
  });

  it('polls a foreign /proc in every mode and says which in status, failed only when Netlink was demanded', async () => {
    const { host } = hostWith('normal', 0);
    const status = async (mode: number) => {
      const c = createProcessCollector(collectorOptions(host.root, new FakeClock(), { settings: { Process_Mode: mode } }));
      await c.start?.(new RecordingSink());
      const s = c.status?.();
      await c.stop();
      return s;
    };
    const foreign = `${join(host.root, 'proc')} is not this process's pid namespace`;
    expect(await status(3)).toEqual({ state: 'running', detail: 'polling every 100 ms' });
    expect(await status(1)).toEqual({ state: 'running', detail: `polling every 100 ms (Process_Mode 1 Auto: ${foreign})` });
    expect(await status(2)).toEqual({ state: 'failed', detail: `Process_Mode 2 Netlink requested but ${foreign}` });
  });
});

describe('process collector lifecycle', () => {
  it('polls on the injected clock and stops cleanly, stop() idempotent and safe before start()', async () => {
    const { host, polls } = hostWith('normal', 0);
    const clock = new FakeClock();
    const sink = new RecordingSink();
    const c = createProcessCollector(collectorOptions(host.root, clock));
    await c.stop();
    expect(c.status?.()).toEqual({ state: 'stopped' });
    await c.start?.(sink);
    expect(clock.pendingTimers).toBe(1);
    host.load(polls[1] as string);
    clock.tick(99);
    await settle();
    expect(sink.events).toEqual([]);
    clock.tick(1);
    await settle();
    expect(sink.events.map((e) => e.name)).toEqual(['ProcessTerminate', 'ProcessCreate']);
    await c.stop();
    await c.stop();
    expect(clock.pendingTimers).toBe(0);
    expect(c.status?.()).toEqual({ state: 'stopped' });
  });

  it('fails visibly, once, when <hostRoot>/proc cannot be listed, and recovers when it can', async () => {
    const host = new FakeHost();
    hosts.push(host);
    const clock = new FakeClock();
    const sink = new RecordingSink();
    const c = createProcessCollector(collectorOptions(host.root, clock));
    await c.start?.(sink);
    clock.tick(300);
    await settle();
    expect(c.status?.()).toMatchObject({ state: 'failed', detail: expect.stringContaining('ENOENT') });
    expect(sink.errors).toHaveLength(1);
    host.load(fixturePolls('normal')[0] as string);
    clock.tick(100);
    await settle();
    expect(c.status?.()).toMatchObject({ state: 'running' });
    await c.stop();
  });

  it('does not report the agent own children nor their children', async () => {
    const { host, polls } = hostWith('normal', 0);
    const clock = new FakeClock();
    const sink = new RecordingSink();
    const c = createProcessCollector(collectorOptions(host.root, clock, { spawned: { add: () => undefined, has: (pid) => pid === 200 } }));
    await c.start?.(sink);
    host.load(polls[1] as string); // adds pid 300 whose parent is 200
    clock.tick(100);
    await settle();
    expect(sink.events.map((e) => e.name)).toEqual(['ProcessTerminate']);
    await c.stop();
  });

  it('logs an unreadable exe link once, falls back to the command name and says so in status', async () => {
    const { host, polls } = hostWith('normal', 0);
    const real = createNodeHostFs();
    const denied: HostFs = {
      ...real,
      readlink: (p) => {
        if (p.endsWith('/exe')) throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
        return real.readlink(p);
      },
    };
    const { log, lines } = captureLog();
    const clock = new FakeClock();
    const sink = new RecordingSink();
    const c = new ProcessCollector(collectorOptions(host.root, clock, { log }), { fs: denied });
    await c.start(sink);
    host.load(polls[1] as string);
    clock.tick(100);
    await settle();
    expect(sink.events[1]?.payload[0]).toMatchObject({ Executable: 'ls', CommandLine: 'ls -la /tmp' });
    expect(lines.filter((l) => l['code'] === 'EACCES')).toHaveLength(1);
    expect(c.status().detail).toContain('exe unreadable (EACCES)');
    await c.stop();
  });

  it('rereads the passwd file when it changes', async () => {
    const { host, polls } = hostWith('partial', 0);
    const clock = new FakeClock();
    const sink = new RecordingSink();
    const c = createProcessCollector(collectorOptions(host.root, clock));
    await c.start?.(sink);
    host.load(polls[1] as string);
    appendFileSync(join(host.root, 'etc/passwd'), 'svc:x:4242:4242::/:/usr/sbin/nologin\n');
    clock.tick(100);
    await settle();
    expect(sink.events.find((e) => e.payload[0]?.['ProcessId'] === 403)?.payload[0]).toMatchObject({ UserName: 'svc' });
    await c.stop();
  });
});

describe('reuse checks guided by the last allocated pid', () => {
  /** A fake /proc that claims to be our pid namespace, with loadavg naming the last pid. */
  function ownNamespaceHost(): { host: FakeHost; polls: string[]; setLastPid: (n: number) => void } {
    const { host, polls } = hostWith('pid-reuse', 0);
    const mark = () => symlinkSync('4242', join(host.root, 'proc/self'));
    const setLastPid = (n: number) => writeFileSync(join(host.root, 'proc/loadavg'), `0.00 0.00 0.00 1/99 ${n}\n`);
    mark();
    return { host, polls: polls.map(String), setLastPid: (n) => {
      try { mark(); } catch { /* already there */ }
      setLastPid(n);
    } };
  }

  it.each([
    ['rechecks a known pid that lies in the range handed out since the last poll', 720, ['ProcessTerminate', 'ProcessCreate']],
    ['does not reread known pids outside that range (the cheap steady state)', 690, []],
  ])('%s', async (_name, lastPid, expected) => {
    const { host, polls, setLastPid } = ownNamespaceHost();
    setLastPid(650);
    const clock = new FakeClock();
    const sink = new RecordingSink();
    const c = new ProcessCollector(collectorOptions(host.root, clock), { ownPid: 4242 });
    await c.start(sink);
    host.load(polls[1] as string);
    setLastPid(lastPid);
    clock.tick(100);
    await settle();
    expect(sink.events.map((e) => e.name)).toEqual(expected);
    await c.stop();
  });
});
