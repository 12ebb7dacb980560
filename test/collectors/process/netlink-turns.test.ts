/** Netlink mode under a storm: kernel batches handled a few dozen /proc reads per turn of the event loop, bounded. */
import { realpathSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { CnProcAddon } from '../../../collectors/process/cn-proc-addon.js';
import { createNodeHostFs, type HostFs } from '../../../collectors/process/host-fs.js';
import { NetlinkWatcher } from '../../../collectors/process/netlink-watcher.js';
import { PasswdCache } from '../../../collectors/process/passwd.js';
import { ProcReader } from '../../../collectors/process/proc-reader.js';
import { systemClock } from '../../../src/clock.js';
import { waitUntil } from '../../support/twin-push.js';

const KIND_EXEC = 2;
/** Far above any pid_max: /proc has nothing, so each is reported with the argv the kernel batch carried. */
const FIRST_PID = 1 << 30;

/** One kernel batch of `count` exec records (kind, pid, -, -, argv offset, argv length) and their argv bytes. */
function execBatch(first: number, count: number, pid = (i: number): number => FIRST_PID + i): { records: Buffer; argv: Buffer } {
  const records = new Int32Array(count * 6);
  const argv: Buffer[] = [];
  let offset = 0;
  for (let i = 0; i < count; i++) {
    const arg = Buffer.from(`storm-${first + i}\0`);
    records.set([KIND_EXEC, pid(first + i), 0, 0, offset, arg.length], i * 6);
    argv.push(arg);
    offset += arg.length;
  }
  return { records: Buffer.from(records.buffer), argv: Buffer.concat(argv) };
}

type Deliver = (first: number, count: number, pid?: (i: number) => number) => void;

async function watcherWithFakeKernel(fs: HostFs = createNodeHostFs()): Promise<{ watcher: NetlinkWatcher; deliver: Deliver; seen: string[]; executables: string[] }> {
  let callback: ((records: Buffer, overflows: number, argv: Buffer) => void) | undefined;
  const addon: CnProcAddon = {
    open: (cb) => {
      callback = cb;
      return {};
    },
    close: () => undefined,
    receiveBufferBytes: () => 0,
  };
  const seen: string[] = [];
  const executables: string[] = [];
  const watcher = new NetlinkWatcher({
    addon, filtered: true, clock: systemClock,
    reader: new ProcReader('/', fs, () => undefined), passwd: new PasswdCache('/etc/passwd', fs, () => undefined),
    emit: (events) => {
      for (const e of events) {
        seen.push(String(e.payload[0]?.['CommandLine']));
        executables.push(String(e.payload[0]?.['Executable']));
      }
    },
  });
  await watcher.start();
  const deliver: Deliver = (first, count, pid) => {
    const { records, argv } = execBatch(first, count, pid);
    callback?.(records, 0, argv);
  };
  return { watcher, deliver, seen, executables };
}

describe('the netlink watcher under a storm', () => {
  it('handles a batch of 1,000 execs a few dozen at a time, in order, with other callbacks running in between', async () => {
    const { watcher, deliver, seen } = await watcherWithFakeKernel();
    try {
      deliver(0, 1000);
      const inFirstTurn = seen.length;
      let atNextTurn = -1;
      setImmediate(() => {
        atNextTurn = seen.length;
      });
      await waitUntil(() => seen.length === 1000, 10_000, 5);
      expect(inFirstTurn).toBeGreaterThan(0);
      expect(inFirstTurn).toBeLessThanOrEqual(100);
      expect(atNextTurn).toBeLessThan(1000);
      expect(seen).toEqual(Array.from({ length: 1000 }, (_, i) => `storm-${i}`));
    } finally {
      watcher.stop();
    }
  });

  it('keeps at most what the kernel buffer would: older waiting events are lost as an overflow, counted', async () => {
    const { watcher, deliver, seen } = await watcherWithFakeKernel();
    try {
      for (let b = 0; b < 40; b++) deliver(b * 1000, 1000);
      expect(watcher.overflows).toBeGreaterThan(0);
      await waitUntil(() => seen.includes('storm-39999'), 20_000, 5);
      expect(seen.length).toBeLessThan(40_000);
      expect(seen.length).toBeGreaterThan(20_000);
    } finally {
      watcher.stop();
    }
  });

  it('takes the command line from the argv read at the exec event, without reading /proc/<pid>/cmdline again', async () => {
    const real = createNodeHostFs();
    const cmdlineReads: string[] = [];
    const fs: HostFs = {
      ...real,
      readBytes: (p, max) => {
        if (p.endsWith('/cmdline')) cmdlineReads.push(p);
        return real.readBytes(p, max);
      },
    };
    const { watcher, deliver, seen, executables } = await watcherWithFakeKernel(fs);
    try {
      cmdlineReads.length = 0; // the start-up scan reads them; exec events should not
      deliver(7, 1, () => process.pid); // an exec of this very process, which /proc still has
      await waitUntil(() => seen.length === 1, 5_000, 5);
      expect(seen).toEqual(['storm-7']);
      expect(executables).toEqual([realpathSync(process.execPath)]);
      expect(cmdlineReads).toEqual([]);
    } finally {
      watcher.stop();
    }
  });
});
