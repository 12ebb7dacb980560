import { cpSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createConnectionMonitor } from '../../../collectors/connection/index.js';
import { FULL_SCAN_MS, REFRESH_MS } from '../../../collectors/connection/monitor.js';
import { FakeClock } from '../../support/fake-clock.js';
import { HandGate } from '../../support/hand-gate.js';
import { waitUntil } from '../../support/stream-tally.js';
import { FIXTURES, options, RecordingSink } from './harness.js';

/** The container fixture in a temp dir, so a test can make its container leave and come back. */
function containerHost(): { root: string; setContainers: (on: boolean) => void } {
  const root = mkdtempSync(join(tmpdir(), 'connection-modes-'));
  cpSync(join(FIXTURES, 'container-netns'), root, { recursive: true, verbatimSymlinks: true });
  writeFileSync(join(root, 'proc/net/snmp'), 'Tcp: ActiveOpens PassiveOpens\nTcp: 1 1\n');
  // The container's processes end (their /proc entries go) and come back as new ones.
  const pids = ['700', '701'];
  return {
    root,
    setContainers: (on) => {
      for (const pid of pids) {
        const [from, to] = on ? [`gone-${pid}`, pid] : [pid, `gone-${pid}`];
        renameSync(join(root, 'proc', from), join(root, 'proc', to));
      }
    },
  };
}

/** Polls read their tables through the thread pool: a fired timer's poll ends a little after advance() returns. */
async function pollsReach(collector: { stats: { polls: number } }, n: number): Promise<void> {
  await waitUntil(() => collector.stats.polls >= n, 5000, `${n} polls`);
  await new Promise((r) => setTimeout(r, 50)); // any poll beyond n would be counted by now
  expect(collector.stats.polls).toBe(n);
}

/** Every second a poll, each let finish before the next (a fake clock jumping further would find the last one running). */
async function secondBySecond(clock: FakeClock, collector: { stats: { polls: number } }, seconds: number): Promise<void> {
  for (let i = 0; i < seconds; i++) {
    const polls = collector.stats.polls;
    await clock.advance(1000);
    await pollsReach(collector, polls + 1);
  }
}

describe('connection collector scheduling with a change gate (fixture tree, fake clock)', () => {
  it('polls every interval while containers exist and waits on the host counters once they are gone, and back', async () => {
    const { root, setContainers } = containerHost();
    const clock = new FakeClock();
    const gate = new HandGate();
    const collector = createConnectionMonitor(options(root, { NetworkActivity_Devices: 'eth0' }, { clock, changeGate: gate }));
    const sink = new RecordingSink();
    await collector.start!(sink);
    try {
      expect(gate.watches).toEqual([]); // two namespaces: a poll every second, as without the gate
      await secondBySecond(clock, collector, 3);
      expect(collector.stats.polls).toBe(4);

      setContainers(false);
      // the next refresh finds the host alone
      for (let i = 0; i < REFRESH_MS / 1000 && gate.live.length === 0; i++) await secondBySecond(clock, collector, 1);
      expect(gate.live.map((w) => w.files)).toEqual([[{ path: join(root, 'proc/net/snmp'), kind: 'content' }]]); // no snmp6 here
      const polls = collector.stats.polls;
      await clock.advance(10_000);
      await pollsReach(collector, polls); // nothing changed, nothing pending: no poll
      gate.live[0]?.fire();
      await pollsReach(collector, polls + 1);

      setContainers(true);
      await clock.advance(REFRESH_MS); // the safety tick refreshes and finds the container again
      await waitUntil(() => gate.live.length === 0, 5000, 'the watch to be cancelled');
      expect(gate.live).toEqual([]);
      await secondBySecond(clock, collector, 2);
    } finally {
      await collector.stop();
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('finds a process that moved to another namespace at the periodic full scan (between them only new pids are read)', async () => {
    const { root } = containerHost();
    const clock = new FakeClock();
    const gate = new HandGate();
    const collector = createConnectionMonitor(options(root, { NetworkActivity_Devices: 'eth0' }, { clock, changeGate: gate }));
    await collector.start!(new RecordingSink());
    try {
      for (const pid of ['700', '701']) {
        const link = join(root, 'proc', pid, 'ns/net');
        rmSync(link);
        symlinkSync('net:[4026531833]', link); // setns into the host's namespace: same pids, no new one
      }
      // Second by second, each poll let finish (how many run per second does not matter here).
      const seconds = async (n: number, until: () => boolean = () => false): Promise<void> => {
        for (let i = 0; i < n && !until(); i++) {
          const polls = collector.stats.polls;
          await clock.advance(1000);
          await waitUntil(() => collector.stats.polls > polls, 5000, 'a poll');
        }
      };
      await seconds(REFRESH_MS / 1000 + 1);
      expect(gate.live).toEqual([]); // a refresh reads new pids only: still two namespaces
      await seconds(FULL_SCAN_MS / 1000, () => gate.live.length > 0);
      expect(gate.live).toHaveLength(1); // the full scan found the host alone
    } finally {
      await collector.stop();
      rmSync(root, { recursive: true, force: true });
    }
  });
});
