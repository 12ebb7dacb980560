import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createConnectionMonitor, type ConnectionCollector } from '../../../collectors/connection/index.js';
import { parseTcpOpens, TCP_FULL_READ_MS, tcpPending } from '../../../collectors/connection/tcp-gate.js';
import { FIXTURES, options, RecordingSink, StillClock } from './harness.js';

const TCP_HEAD = 'Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails EstabResets CurrEstab InSegs OutSegs RetransSegs InErrs OutRsts InCsumErrors';
const snmp = (active: number, passive: number): string =>
  `Ip: Forwarding DefaultTTL\nIp: 2 64\n${TCP_HEAD}\nTcp: 1 200 120000 -1 ${active} ${passive} 204 367 3 64177 62206 215 0 799 0\nUdp: InDatagrams NoPorts\nUdp: 216 0\n`;
/** A tcp row in the fixture's format: 192.0.2.2:<port> -> 203.0.113.5:443, uid 1000. */
const row = (sl: number, port: number, state: string, inode: number): string =>
  `   ${sl}: 020200C0:${port.toString(16).toUpperCase().padStart(4, '0')} 057100CB:01BB ${state} 00000000:00000000 00:00000000 00000000  1000        0 ${inode} 1 0000000000000000 100 0 0 10 0\n`;

const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});

/** host-tables copied to a temporary root, its SYN_SENT row dropped so the baseline has nothing pending. */
function hostRoot(counters: string | undefined): { root: string; tcp: string; setSnmp: (text: string) => void; baseTcp: string } {
  const root = mkdtempSync(join(tmpdir(), 'conn-gate-'));
  roots.push(root);
  cpSync(join(FIXTURES, 'host-tables'), root, { recursive: true, verbatimSymlinks: true });
  const tcp = join(root, 'proc/net/tcp');
  const baseTcp = readFileSync(tcp, 'latin1').split('\n').filter((l) => !/^\s+5: /.test(l)).join('\n');
  writeFileSync(tcp, baseTcp);
  const setSnmp = (text: string): void => writeFileSync(join(root, 'proc/net/snmp'), text);
  if (counters !== undefined) setSnmp(counters);
  return { root, tcp, setSnmp, baseTcp };
}

async function started(root: string, clock = new StillClock()): Promise<{ collector: ConnectionCollector; sink: RecordingSink }> {
  const collector = createConnectionMonitor(options(root, { NetworkActivity_Devices: 'eth0' }, { clock }));
  const sink = new RecordingSink();
  await collector.poll(sink); // baseline
  return { collector, sink };
}

const newPorts = (sink: RecordingSink): unknown[] => sink.named('ConnectionCreate').map((e) => e.payload[0]?.['LocalPort']);

describe('TCP open counters gate the tcp/tcp6 reads', () => {
  it('parses ActiveOpens and PassiveOpens of /proc/net/snmp and rejects malformed text', () => {
    expect(parseTcpOpens(snmp(3476, 3147))).toBe('3476 3147');
    expect(parseTcpOpens('')).toBeUndefined();
    expect(parseTcpOpens(`${TCP_HEAD}\n`)).toBeUndefined();
    expect(parseTcpOpens(`Ip: 1\nIp: 2\n${TCP_HEAD}\nTcp: 1 200 120000 -1 x 5 0 0 0 0 0 0 0 0 0\n`)).toBeUndefined();
    expect(parseTcpOpens(`Ip: 1\nIp: 2\n${TCP_HEAD}\nTcp: 1 200 120000 -1 7\n`)).toBeUndefined();
    expect(parseTcpOpens('Ip: 1\nIp: 2\nTcp: RtoMin MaxConn\nTcp: 200 -1\n')).toBeUndefined();
  });

  it('marks only sockets that can become connections without a counter moving as pending', () => {
    expect([2, 3].map((s) => tcpPending(s, 7))).toEqual([true, true]);
    expect([1, 8].map((s) => tcpPending(s, 0))).toEqual([true, true]);
    expect([1, 4, 5, 6, 7, 8, 9, 10, 11].map((s) => tcpPending(s, 7)).some(Boolean)).toBe(false);
    expect([4, 5, 6, 9, 11].map((s) => tcpPending(s, 0)).some(Boolean)).toBe(false); // orphans, TIME_WAIT
  });

  it('skips tcp and tcp6 while the counters stay put, and reads them (reporting the new connection) once they move', async () => {
    const { root, tcp, setSnmp, baseTcp } = hostRoot(snmp(100, 50));
    const { collector, sink } = await started(root);
    const read = collector.stats.tablesRead;
    await collector.poll(sink);
    await collector.poll(sink);
    expect(collector.stats.tablesRead - read).toBe(4); // udp + udp6, twice
    expect(collector.stats.tcpSkips).toBe(2);
    writeFileSync(tcp, baseTcp + row(7, 40100, '01', 1100));
    await collector.poll(sink);
    expect(newPorts(sink)).toEqual([]); // proves the table was not read: the counters did not move
    setSnmp(snmp(101, 50));
    await collector.poll(sink);
    expect(newPorts(sink)).toEqual(['40100']);
    expect(collector.stats.tablesRead - read).toBe(10);
    await collector.poll(sink);
    expect(collector.stats.tcpSkips).toBe(4);
    expect(newPorts(sink)).toEqual(['40100']);
  });

  it('reads tcp every poll when snmp is missing, unreadable or malformed', async () => {
    for (const text of [undefined, 'garbage\n', `${TCP_HEAD}\nTcp: 1 2\n`]) {
      const { root, tcp, baseTcp } = hostRoot(text);
      const { collector, sink } = await started(root);
      for (let i = 0; i < 3; i++) await collector.poll(sink);
      expect(collector.stats.tcpSkips).toBe(0);
      writeFileSync(tcp, baseTcp + row(7, 40100, '01', 1100));
      await collector.poll(sink);
      expect(newPorts(sink)).toEqual(['40100']);
    }
  });

  it('keeps reading while a socket is SYN_SENT or waits unaccepted, and reports it once established or accepted', async () => {
    const { root, tcp, setSnmp, baseTcp } = hostRoot(snmp(100, 50));
    const { collector, sink } = await started(root);
    // counted when they started, read once in that state; their counters never move again
    writeFileSync(tcp, baseTcp + row(7, 40100, '02', 1100) + row(8, 40200, '01', 0));
    setSnmp(snmp(102, 51));
    await collector.poll(sink);
    expect(newPorts(sink)).toEqual([]);
    await collector.poll(sink);
    expect(collector.stats.tcpSkips).toBe(0); // pending sockets: no skip
    writeFileSync(tcp, baseTcp + row(7, 40100, '01', 1100) + row(8, 40200, '01', 1200));
    await collector.poll(sink);
    expect(newPorts(sink).sort()).toEqual(['40100', '40200']);
    await collector.poll(sink);
    expect(collector.stats.tcpSkips).toBe(1); // nothing pending any more
  });

  it(`reads tcp at least every ${TCP_FULL_READ_MS / 1000} s even when the counters stay put, forgetting closed sockets`, async () => {
    const clock = new StillClock();
    const { root, tcp, baseTcp } = hostRoot(snmp(100, 50));
    const { collector, sink } = await started(root, clock);
    const tracked = collector.stats.trackedSockets;
    writeFileSync(tcp, baseTcp.split('\n').filter((l) => !/^\s+1: /.test(l)).join('\n')); // the sshd connection closed
    clock.time += TCP_FULL_READ_MS - 1;
    await collector.poll(sink);
    expect(collector.stats.tcpSkips).toBe(1);
    expect(collector.stats.trackedSockets).toBe(tracked);
    clock.time += 1;
    await collector.poll(sink);
    expect(collector.stats.tcpSkips).toBe(1);
    expect(collector.stats.trackedSockets).toBe(tracked - 1);
    clock.time -= 60_000; // a clock stepped back forces a read as well
    await collector.poll(sink);
    expect(collector.stats.tcpSkips).toBe(1);
  });

  it('reads tcp on a quiet poll asked for a full read', async () => {
    const { root } = hostRoot(snmp(100, 50));
    const { collector, sink } = await started(root);
    const read = collector.stats.tablesRead;
    await collector.poll(sink, true);
    expect(collector.stats.tablesRead - read).toBe(4);
    expect(collector.stats.tcpSkips).toBe(0);
  });
});
