import { execFileSync } from 'node:child_process';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { realpathSync } from 'node:fs';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createConnectionMonitor, readSocketsOnce, type ConnectionCollector } from '../../../collectors/connection/index.js';
import type { CollectedEvent } from '../../../collectors/types.js';
import { expectSampleEvent } from '../../support/golden.js';
import { options, RecordingSink, schemaProblems, SCHEMAS_PRESENT } from './harness.js';

const EXECUTABLE = realpathSync(process.execPath);
const LOOPBACK = { NetworkActivity_Devices: 'eth0', NetworkActivity_IncludeLoopback: true };

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function tcpPair(host: string): Promise<{ server: Server; client: Socket; port: number }> {
  const server = createServer((s) => cleanups.push(() => void s.destroy()));
  await new Promise<void>((r) => server.listen(0, host, r));
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
  const port = (server.address() as AddressInfo).port;
  const accepted = new Promise<void>((r) => server.once('connection', () => r()));
  const client = connect(port, host);
  cleanups.push(() => void client.destroy());
  await new Promise<void>((r) => client.once('connect', () => r()));
  await accepted;
  return { server, client, port };
}

function udp(): UdpSocket {
  const s = createSocket({ type: 'udp4', reuseAddr: true });
  cleanups.push(() => new Promise<void>((r) => s.close(() => r())));
  return s;
}

/** A UDP exchange: an unconnected server, a connected client, and a server-side socket connected back (QUIC style). */
async function udpExchange(): Promise<{ serverPort: number; clientPort: number }> {
  const server = udp();
  await new Promise<void>((r) => server.bind(0, '127.0.0.1', r));
  const serverPort = server.address().port;
  const client = udp();
  await new Promise<void>((r) => client.connect(serverPort, '127.0.0.1', r));
  const got = new Promise<number>((r) => server.once('message', (_m, rinfo) => r(rinfo.port)));
  client.send('hello');
  const clientPort = await got;
  const session = udp();
  await new Promise<void>((r) => session.bind(serverPort, '127.0.0.1', r));
  await new Promise<void>((r) => session.connect(clientPort, '127.0.0.1', r));
  return { serverPort, clientPort };
}

async function started(settings: Record<string, string | number | boolean>): Promise<{ collector: ConnectionCollector; sink: RecordingSink }> {
  const collector = createConnectionMonitor(options('/', settings));
  cleanups.push(() => collector.stop());
  const sink = new RecordingSink();
  await collector.start!(sink);
  return { collector, sink };
}

function connectionsOn(events: readonly CollectedEvent[], port: number): Array<Record<string, unknown>> {
  return events.filter((e) => e.name === 'ConnectionCreate').map((e) => e.payload[0] as Record<string, unknown>)
    .filter((p) => p['LocalPort'] === String(port) || p['RemotePort'] === String(port));
}

describe('connection collector on this host (loopback)', () => {
  it('sees a new IPv4 TCP connection as In on the server side and Out on the client side, with this process', async () => {
    const { collector, sink } = await started(LOOPBACK);
    const { port, client } = await tcpPair('127.0.0.1');
    await collector.poll(sink);
    const seen = connectionsOn(sink.events, port);
    expect(seen).toHaveLength(2);
    const common = { Protocol: 'TCP', ProcessId: process.pid, Executable: EXECUTABLE, UserId: String(process.getuid!()), LocalAddress: '127.0.0.1', RemoteAddress: '127.0.0.1' };
    expect(seen).toContainEqual(expect.objectContaining({ ...common, Direction: 'In', LocalPort: String(port), RemotePort: String(client.localPort) }));
    expect(seen).toContainEqual(expect.objectContaining({ ...common, Direction: 'Out', LocalPort: String(client.localPort), RemotePort: String(port) }));
    expect(String(seen[0]?.['CommandLine'])).toContain(process.argv[1] ?? 'node');
  });

  it('sees an IPv6 TCP connection on ::1 in both directions', async () => {
    const { collector, sink } = await started(LOOPBACK);
    const { port } = await tcpPair('::1');
    await collector.poll(sink);
    const seen = connectionsOn(sink.events, port);
    expect(seen.map((p) => `${p['Direction']} ${p['LocalAddress']} ${p['RemoteAddress']}`).sort()).toEqual(['In ::1 ::1', 'Out ::1 ::1']);
    expect(seen.every((p) => p['ProcessId'] === process.pid)).toBe(true);
  });

  it('sees a connected UDP client as Out and a connected server-side UDP socket as In', async () => {
    const { collector, sink } = await started(LOOPBACK);
    const { serverPort, clientPort } = await udpExchange();
    await collector.poll(sink);
    const seen = connectionsOn(sink.events, serverPort).filter((p) => p['Protocol'] === 'UDP');
    expect(seen).toContainEqual(expect.objectContaining({ Direction: 'Out', LocalPort: String(clientPort), RemotePort: String(serverPort), ProcessId: process.pid }));
    expect(seen).toContainEqual(expect.objectContaining({ Direction: 'In', LocalPort: String(serverPort), RemotePort: String(clientPort), ProcessId: process.pid }));
  });

  it('reports neither loopback connections nor loopback listeners by default', async () => {
    const { collector, sink } = await started({ NetworkActivity_Devices: 'any' });
    const { port } = await tcpPair('127.0.0.1');
    await collector.poll(sink);
    await collector.collect!(sink);
    expect(connectionsOn(sink.events, port)).toEqual([]);
    const listening = sink.events.find((e) => e.name === 'ListeningPorts');
    expect(listening?.payload.some((p) => p['LocalPort'] === String(port))).toBe(false);
  });

  it('records loopback connections and listeners when NetworkActivity_Devices names lo, or any with IncludeLoopback', async () => {
    for (const settings of [{ NetworkActivity_Devices: 'lo' }, { NetworkActivity_Devices: 'eth0, lo' }, { NetworkActivity_Devices: '*', NetworkActivity_IncludeLoopback: true }]) {
      const { collector, sink } = await started(settings);
      const v4 = await tcpPair('127.0.0.1');
      const v6 = await tcpPair('::1');
      await collector.poll(sink);
      await collector.collect!(sink);
      const name = JSON.stringify(settings);
      expect(connectionsOn(sink.events, v4.port).map((p) => p['Direction']).sort(), name).toEqual(['In', 'Out']);
      expect(connectionsOn(sink.events, v6.port).map((p) => p['Direction']).sort(), name).toEqual(['In', 'Out']);
      const listening = sink.events.find((e) => e.name === 'ListeningPorts')?.payload ?? [];
      expect(listening.filter((p) => [String(v4.port), String(v6.port)].includes(String(p['LocalPort']))).map((p) => p['LocalAddress']).sort(), name).toEqual(['127.0.0.1', '::1']);
    }
  });

  it('is degraded and names a listed interface that does not exist, while still recording the others', async () => {
    const { collector, sink } = await started({ NetworkActivity_Devices: 'lo,nosuchif0' });
    const { port } = await tcpPair('127.0.0.1');
    await collector.poll(sink);
    expect(collector.status!()).toEqual({ state: 'degraded', detail: expect.stringMatching(/^NetworkActivity_Devices: nosuchif0 not present \(present: .*\blo\b.*\); reporting lo$/) });
    expect(sink.errors.filter((e) => e.includes('nosuchif0'))).toHaveLength(1);
    expect(connectionsOn(sink.events, port)).toHaveLength(2);
  });

  it('does not report a connection twice and touches no /proc/<pid>/fd when nothing changed', async () => {
    const { collector, sink } = await started(LOOPBACK);
    const { port } = await tcpPair('127.0.0.1');
    await collector.poll(sink);
    const fdDirs = collector.stats.fdDirsRead;
    await collector.poll(sink);
    await collector.poll(sink);
    expect(connectionsOn(sink.events, port)).toHaveLength(2);
    expect(collector.stats.fdDirsRead).toBe(fdDirs);
  });

  it('skips the TCP tables on most quiet polls and still reports new v4 and v6 TCP connections within two polls', async () => {
    const { collector, sink } = await started(LOOPBACK);
    for (let i = 0; i < 5; i++) await collector.poll(sink);
    const quiet = collector.stats.tcpSkips;
    expect(quiet).toBeGreaterThanOrEqual(3); // other processes on this host may open TCP connections meanwhile
    for (const host of ['127.0.0.1', '::1']) {
      const { port } = await tcpPair(host);
      let polls = 0;
      while (polls < 2 && connectionsOn(sink.events, port).length < 2) {
        await collector.poll(sink);
        polls++;
      }
      expect(connectionsOn(sink.events, port).map((p) => p['Direction']).sort(), `${host} after ${polls} poll(s)`).toEqual(['In', 'Out']);
    }
    const before = collector.stats.tcpSkips;
    for (let i = 0; i < 5; i++) await collector.poll(sink);
    expect(collector.stats.tcpSkips - before).toBeGreaterThanOrEqual(3);
  });

  it('agrees with ss -tunap on addresses, ports and pid of the test sockets', async () => {
    const { port } = await tcpPair('127.0.0.1');
    const v6 = await tcpPair('::1');
    const { serverPort } = await udpExchange();
    const ss = execFileSync('ss', ['-tunapH'], { encoding: 'utf8' });
    const ours = await readSocketsOnce();
    const ports = new Set([port, v6.port, serverPort]);
    // ESTABLISHED only: a TIME_WAIT socket of an earlier test can share one of these ephemeral ports
    const mine = ours.filter((s) => s.stateName === 'ESTABLISHED' && (ports.has(s.localPort) || ports.has(s.remotePort)));
    expect(mine.length).toBe(6);
    for (const s of mine) {
      const fmt = (a: string, p: number) => (a.includes(':') ? `[${a}]:${p}` : `${a}:${p}`);
      const line = ss.split('\n').find((l) => {
        const f = l.trim().split(/\s+/);
        return f[0] === s.protocol.toLowerCase() && f[4] === fmt(s.localAddress, s.localPort) && f[5] === fmt(s.remoteAddress, s.remotePort);
      });
      expect(line, `ss has ${s.protocol} ${fmt(s.localAddress, s.localPort)} ${fmt(s.remoteAddress, s.remotePort)}`).toBeDefined();
      expect(line).toContain(`pid=${s.process?.pid},`);
      expect(s.process?.pid).toBe(process.pid);
    }
  });

  it.skipIf(!SCHEMAS_PRESENT)('emits live ConnectionCreate and ListeningPorts events that validate against the official schema', async () => {
    const { collector, sink } = await started({ ...LOOPBACK, NetworkActivity_Devices: 'any' });
    await tcpPair('127.0.0.1');
    await tcpPair('::1');
    await udpExchange();
    await collector.poll(sink);
    await collector.collect!(sink);
    expect(sink.events.filter((e) => e.name === 'ConnectionCreate').length).toBeGreaterThanOrEqual(6);
    expect(schemaProblems(sink.events)).toEqual([]);
  });
});
