import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createProcessCollector } from '../../../collectors/process/index.js';
import { toWireEvent } from '../../../src/events/envelope.js';
import { expectGolden, expectSampleEvent } from '../../support/golden.js';
import { FakeClock, FakeHost, FIXTURES, RecordingSink, collectorOptions, fixturePolls, goldenView, settle } from './helpers.js';

const CASES = ['normal', 'partial', 'vanished', 'pid-reuse', 'zombie', 'kernel-thread', 'hostile-names'];

/** Runs a fixture case through the real collector: poll-1 is the baseline, each later poll one tick, then 1 s more. */
async function runCase(name: string): Promise<{ polls: Record<string, unknown>[][]; sink: RecordingSink; clock: FakeClock }> {
  const host = new FakeHost();
  hosts.push(host);
  const clock = new FakeClock();
  const sink = new RecordingSink();
  const [first, ...rest] = fixturePolls(name);
  if (first === undefined) throw new Error(`fixture ${name} has no poll-1`);
  host.load(first);
  const collector = createProcessCollector(collectorOptions(host.root, clock));
  await collector.start?.(sink);
  const polls = [sink.take().map(goldenView)];
  for (const dir of rest) {
    host.load(dir);
    clock.tick(100);
    await settle();
    polls.push(sink.take().map(goldenView));
  }
  // Past the young window: processes held as possibly mid-exec (empty argv) are reported as last seen.
  for (let i = 0; i < 10; i++) {
    clock.tick(100);
    await settle();
  }
  polls.push(sink.take().map(goldenView));
  await collector.stop();
  return { polls, sink, clock };
}

const hosts: FakeHost[] = [];
afterEach(() => {
  for (const h of hosts.splice(0)) h.dispose();
});

describe('process collector on fake /proc trees', () => {
  for (const name of CASES) {
    it(`emits the golden events for the "${name}" case`, async () => {
      const { polls } = await runCase(name);
      const goldenPath = join(FIXTURES, name, 'expected.json');
      expectGolden(goldenPath, polls);
    });
  }

  it('reports nothing for processes already running at start (baseline)', async () => {
    const { polls } = await runCase('normal');
    expect(polls[0]).toEqual([]);
  });

  it('reports a new process with parent, real uid, user name and command line, and a gone one with ExitStatus -1', async () => {
    const { polls } = await runCase('normal');
    expect(polls[1]).toEqual([
      expect.objectContaining({ name: 'ProcessTerminate', payload: [{ Executable: '/usr/sbin/sshd', ProcessId: 100, ExitStatus: -1 }] }),
      expect.objectContaining({
        name: 'ProcessCreate',
        payload: [{ Executable: '/usr/bin/ls', ProcessId: 300, ParentProcessId: 200, UserId: '1000', UserName: 'alice', CommandLine: 'ls -la /tmp' }],
      }),
    ]);
  });

  it('treats a reused pid with a new start time as one process ending and another starting', async () => {
    const { polls } = await runCase('pid-reuse');
    expect(polls[1]?.map((e) => e['name'])).toEqual(['ProcessTerminate', 'ProcessCreate']);
    expect(polls[2]).toEqual([]);
  });

  it('skips kernel threads and pids that vanish mid-read, without terminate events later', async () => {
    expect((await runCase('kernel-thread')).polls.flat()).toEqual([]);
    expect((await runCase('vanished')).polls.flat()).toEqual([]);
  });

  it('keeps the numeric fields right when the command name holds parentheses, spaces and newlines', async () => {
    const { polls } = await runCase('hostile-names');
    // 1002 has an empty argv (as mid-exec): it is reported once the young window has passed, in the last entry.
    const creates = [...(polls[1] ?? []), ...(polls.at(-1) ?? [])].map((e) => (e['payload'] as Record<string, unknown>[])[0]);
    expect(creates).toContainEqual(expect.objectContaining({ ProcessId: 1001, ParentProcessId: 1, CommandLine: './a) S 1 (b --x' }));
    expect(creates).toContainEqual(expect.objectContaining({ ProcessId: 1002, Executable: 'x\ny) Z 9 (', CommandLine: '[x\ny) Z 9 (]' }));
    // setuid: effective uid 0, but the real uid is who started it
    expect(creates).toContainEqual(expect.objectContaining({ ProcessId: 1003, UserId: '1000', CommandLine: 'sh -c echo \ufffd\ufffd  two  spaces' }));
  });

  it('matches the README sample event with a real run of the normal case', async () => {
    const { sink } = await runCase('normal');
    expect(sink.events).toEqual([]);
    const host = new FakeHost();
    hosts.push(host);
    const clock = new FakeClock();
    const out = new RecordingSink();
    const [p1, p2] = fixturePolls('normal');
    host.load(p1 as string);
    const collector = createProcessCollector(collectorOptions(host.root, clock));
    await collector.start?.(out);
    host.load(p2 as string);
    clock.tick(100);
    await settle();
    await collector.stop();
    const wire = out.events.map((e, i) => toWireEvent(e, `5f1b8a52-3c1e-4f6a-9d7e-00000000000${i + 1}`));
    expect(wire.map((w) => w.Name)).toEqual(['ProcessTerminate', 'ProcessCreate']);
    expectSampleEvent('process', { Events: wire }, 'exact');
  });
});
