/** Ticks that skip listing /proc when /proc/loadavg shows no task started or ended. */
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseLoadavg } from '../../../collectors/process/parse.js';
import { ProcessCollector } from '../../../collectors/process/process-collector.js';
import { FakeClock, FakeHost, RecordingSink, collectorOptions, fixturePolls, settle } from './helpers.js';

const hosts: FakeHost[] = [];
afterEach(() => {
  for (const h of hosts.splice(0)) h.dispose();
});

/** The `normal` fixture as our own pid namespace: poll-2 ends pid 100 and starts pid 300. */
async function started(initialNs = false): Promise<{ host: FakeHost; clock: FakeClock; sink: RecordingSink; c: ProcessCollector; next: (loadavg: string) => void }> {
  const host = new FakeHost();
  hosts.push(host);
  const polls = fixturePolls('normal');
  const load = (dir: string, loadavg: string): void => {
    host.load(dir);
    symlinkSync('4242', join(host.root, 'proc/self'));
    if (initialNs) {
      mkdirSync(join(host.root, 'proc/4242/ns'), { recursive: true });
      symlinkSync('pid:[4026531836]', join(host.root, 'proc/4242/ns/pid'));
    }
    writeFileSync(join(host.root, 'proc/loadavg'), loadavg);
  };
  load(polls[0] as string, '0.00 0.00 0.00 1/99 250\n');
  const clock = new FakeClock();
  const sink = new RecordingSink();
  const c = new ProcessCollector(collectorOptions(host.root, clock), { ownPid: 4242 });
  await c.start(sink);
  return { host, clock, sink, c, next: (loadavg) => load(polls[1] as string, loadavg) };
}

async function tick(clock: FakeClock, times = 1): Promise<void> {
  for (let i = 0; i < times; i++) {
    clock.tick(100);
    await settle();
  }
}

describe('quiet ticks', () => {
  it('parses the task count and the last pid of /proc/loadavg', () => {
    expect(parseLoadavg('0.21 0.25 0.13 4/116 5792\n')).toEqual({ lastPid: 5792, tasks: 116 });
    expect(parseLoadavg('0.21 0.25 0.13 4/116 57x2')).toBeUndefined();
    expect(parseLoadavg('5792')).toBeUndefined();
  });

  it('lists /proc as soon as the last pid or the task count moves', async () => {
    const { clock, sink, c, next } = await started();
    next('0.00 0.00 0.00 1/99 300\n');
    await tick(clock);
    expect(sink.take().map((e) => `${e.name} ${String(e.payload[0]?.['ProcessId'])}`)).toEqual(['ProcessTerminate 100', 'ProcessCreate 300']);
    await c.stop();
  });

  it('skips the listing while loadavg is unchanged, and still lists once a second', async () => {
    const { clock, sink, c, next } = await started();
    // A lie no kernel tells (a start without a new last pid): only the periodic listing can see it.
    next('0.00 0.00 0.00 1/99 250\n');
    await tick(clock, 9);
    expect(sink.events).toEqual([]);
    await tick(clock);
    expect(sink.take().map((e) => e.name)).toEqual(['ProcessTerminate', 'ProcessCreate']);
    await c.stop();
  });

  it('in the initial pid namespace the counters are trusted for a minute: the listing is a safety net', async () => {
    const { clock, sink, c, next } = await started(true);
    next('0.00 0.00 0.00 1/99 250\n'); // the same lie: only a listing can see it
    await tick(clock, 100);
    expect(sink.events).toEqual([]);
    await tick(clock, 500);
    expect(sink.take().map((e) => e.name)).toEqual(['ProcessTerminate', 'ProcessCreate']);
    await c.stop();
  });

  it('a quiet tick still rereads a few executables: an exec without a fork moves no counter', async () => {
    const { host, clock, sink, c } = await started(true);
    const exe = join(host.root, 'proc/200/exe');
    rmSync(exe);
    symlinkSync('/usr/bin/evil', exe);
    await tick(clock, 10);
    expect(sink.take().map((e) => `${e.name} ${String(e.payload[0]?.['ProcessId'])} ${String(e.payload[0]?.['Executable'])}`))
      .toEqual(['ProcessCreate 200 /usr/bin/evil']);
    await c.stop();
  });
});
