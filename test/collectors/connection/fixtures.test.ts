import { join } from 'node:path';
import { expectGolden, expectSampleEvent } from '../../support/golden.js';
import { toWireEvent } from '../../../src/events/envelope.js';
import { describe, expect, it } from 'vitest';
import { createConnectionMonitor, readSocketsOnce } from '../../../collectors/connection/index.js';
import { FIXTURES, options, RecordingSink, schemaProblems, SCHEMAS_PRESENT, StillClock } from './harness.js';

/** Runs one poll (reporting what is already open) and one ListeningPorts snapshot over a fixture tree. */
async function runCase(name: string, settings: Record<string, string | number | boolean>) {
  const collector = createConnectionMonitor(options(join(FIXTURES, name), settings, { reportExisting: true }));
  const sink = new RecordingSink();
  await collector.poll(sink);
  await collector.collect!(sink);
  return { collector, sink };
}

/** Golden file of a fixture case: compared, written only with UPDATE_GOLDEN=1; a missing one fails. */
const expectCase = (name: string, actual: unknown): void => expectGolden(join(FIXTURES, name, 'expected.json'), actual);

const SAMPLE_ID = '9d7cda44-9de6-45a3-a04b-256cf5cbf73b';

describe('connection collector on fixture trees', () => {
  it('reports IPv4, IPv6, mapped and UDP connections with direction and owner, as in expected.json', async () => {
    const { sink } = await runCase('host-tables', { NetworkActivity_Devices: 'eth0' });
    expectCase('host-tables', sink.events.map((e) => ({ name: e.name, key: e.aggregationKey, payload: e.payload })));
    const byPort = new Map(sink.named('ConnectionCreate').map((e) => [e.payload[0]?.['LocalPort'], e.payload[0]]));
    expect(byPort.get('22')).toMatchObject({ Direction: 'In', ProcessId: 100, Executable: '/usr/sbin/sshd', RemotePort: '51000' });
    expect(byPort.get('40000')).toMatchObject({ Direction: 'Out', ProcessId: 200, CommandLine: 'curl https://203.0.113.5/' });
    expect(byPort.get('8883')).toMatchObject({ LocalAddress: 'fd00::2', RemoteAddress: 'fd00::9', Direction: 'In' });
    expect(byPort.get('45000')).toMatchObject({ Protocol: 'UDP', Direction: 'Out', ProcessId: 400 });
    expect(byPort.get('5683')).toMatchObject({ Protocol: 'UDP', Direction: 'In', RemoteAddress: 'fd00::77' });
    // the README's sample comes from this fixture, never from the machine running the tests
    const curl = sink.named('ConnectionCreate').find((e) => e.payload[0]?.['LocalPort'] === '40000');
    expect(curl).toBeDefined();
    if (curl) expectSampleEvent('connection', toWireEvent(curl, SAMPLE_ID), 'exact');
  });

  it('writes an IPv4-mapped IPv6 connection with plain IPv4 addresses', async () => {
    const { sink } = await runCase('host-tables', { NetworkActivity_Devices: 'eth0' });
    const mapped = sink.named('ConnectionCreate').find((e) => e.payload[0]?.['LocalPort'] === '443');
    expect(mapped?.payload[0]).toMatchObject({ LocalAddress: '192.0.2.2', RemoteAddress: '198.51.100.8', Direction: 'In' });
  });

  it('still reports a connection whose process vanished, with ProcessId 0 and the socket uid', async () => {
    const { sink } = await runCase('host-tables', { NetworkActivity_Devices: 'eth0' });
    const orphan = sink.named('ConnectionCreate').find((e) => e.payload[0]?.['RemotePort'] === '60001');
    expect(orphan?.payload[0]).toMatchObject({ ProcessId: 0, Executable: '', UserId: '33' });
    expect(orphan?.payload[0]).not.toHaveProperty('CommandLine');
  });

  it('ignores listeners, TIME_WAIT, SYN_SENT and loopback as connections, and warns once about a malformed line', async () => {
    const { sink } = await runCase('host-tables', { NetworkActivity_Devices: 'eth0' });
    const ports = sink.named('ConnectionCreate').map((e) => e.payload[0]?.['LocalPort']).sort();
    expect(ports).toEqual(['22', '40000', '41000', '443', '45000', '5683', '8883']);
    expect(sink.errors.filter((e) => e.includes('malformed'))).toHaveLength(1);
  });

  it('lists listening TCP ports and bound UDP ports in ListeningPorts', async () => {
    const { sink } = await runCase('host-tables', { NetworkActivity_Devices: 'eth0' });
    const [snapshot] = sink.named('ListeningPorts');
    expect(snapshot?.category).toBe('Periodic');
    expect(snapshot?.payload.map((p) => `${p['Protocol']} ${p['LocalAddress']} ${p['LocalPort']}`)).toEqual([
      'TCP 0.0.0.0 22', 'TCP :: 443', 'TCP :: 8883', 'UDP 0.0.0.0 68', 'UDP :: 5683',
    ]);
  });

  it('reports loopback connections only when NetworkActivity_IncludeLoopback is true', async () => {
    const { sink } = await runCase('host-tables', { NetworkActivity_Devices: 'eth0', NetworkActivity_IncludeLoopback: true });
    const loop = sink.named('ConnectionCreate').find((e) => e.payload[0]?.['LocalAddress'] === '127.0.0.1');
    expect(loop?.payload[0]).toMatchObject({ LocalPort: '5000', ProcessId: 500, CommandLine: 'app --port 5000' });
  });

  it('reports nothing from an interface that is not listed, and everything with any', async () => {
    const wlan = await runCase('host-tables', { NetworkActivity_Devices: 'wlan0' });
    expect(wlan.sink.named('ConnectionCreate')).toHaveLength(0);
    const any = await runCase('host-tables', { NetworkActivity_Devices: 'any' });
    expect(any.sink.named('ConnectionCreate')).toHaveLength(7);
    expect(any.collector.status!()).toEqual({ state: 'stopped' });
  });

  it('is degraded with one warning when none of the listed interfaces exist', async () => {
    const collector = createConnectionMonitor(options(join(FIXTURES, 'host-tables'), { NetworkActivity_Devices: 'wlan0' }));
    const sink = new RecordingSink();
    await collector.start!(sink);
    await collector.poll(sink);
    expect(collector.status!()).toMatchObject({ state: 'degraded', detail: expect.stringContaining('none of wlan0 exists (present: eth0, lo)') });
    expect(sink.errors.filter((e) => e.includes('wlan0'))).toHaveLength(1);
    await collector.stop();
  });

  it('is degraded and names the missing one when only some listed interfaces exist', async () => {
    const collector = createConnectionMonitor(options(join(FIXTURES, 'host-tables'), { NetworkActivity_Devices: 'eth0,wlan0' }));
    const sink = new RecordingSink();
    await collector.start!(sink);
    expect(collector.status!()).toEqual({ state: 'degraded', detail: 'NetworkActivity_Devices: wlan0 not present (present: eth0, lo); reporting eth0' });
    await collector.stop();
  });

  it('reports loopback connections when lo is listed, without IncludeLoopback', async () => {
    const { sink } = await runCase('host-tables', { NetworkActivity_Devices: 'lo' });
    expect(sink.named('ConnectionCreate').map((e) => e.payload[0]?.['LocalAddress'])).toEqual(['127.0.0.1']);
  });

  it('treats connections open at start as a baseline and schedules polls at the configured interval', async () => {
    const clock = new StillClock();
    const collector = createConnectionMonitor(options(join(FIXTURES, 'host-tables'), { NetworkActivity_PollingInterval: 250_000 }, { clock }));
    const sink = new RecordingSink();
    await collector.start!(sink);
    await collector.poll(sink);
    expect(sink.named('ConnectionCreate')).toHaveLength(0);
    expect(clock.intervals).toEqual([250]);
    await collector.stop();
    await collector.stop();
  });

  it('touches no /proc/<pid>/fd directory on a poll where nothing changed', async () => {
    const { collector } = await runCase('host-tables', { NetworkActivity_Devices: 'any' });
    const before = collector.stats.fdDirsRead;
    expect(before).toBeGreaterThan(0);
    await collector.poll(new RecordingSink());
    await collector.poll(new RecordingSink());
    expect(collector.stats.fdDirsRead).toBe(before);
  });

  it('reads a container namespace once through one of its processes and matches its own eth0', async () => {
    const { sink } = await runCase('container-netns', { NetworkActivity_Devices: 'eth0' });
    expectCase('container-netns', sink.events.map((e) => ({ name: e.name, key: e.aggregationKey, payload: e.payload })));
    const conns = sink.named('ConnectionCreate').map((e) => e.payload[0]);
    expect(conns).toHaveLength(2);
    expect(conns.find((p) => p?.['Direction'] === 'In')).toMatchObject({ LocalAddress: '172.17.0.2', LocalPort: '3000', ProcessId: 700 });
    expect(conns.find((p) => p?.['Direction'] === 'Out')).toMatchObject({ RemoteAddress: '10.1.2.3', ProcessId: 701, CommandLine: 'node worker.js' });
  });

  it('lists every socket with its process for collect --once', async () => {
    const sockets = await readSocketsOnce({ hostRoot: join(FIXTURES, 'host-tables'), littleEndian: true });
    expect(sockets).toHaveLength(15);
    expect(sockets.find((s) => s.inode === 1001)).toMatchObject({ stateName: 'LISTEN', localPort: 22, netns: 'net:[4026531833]', process: { pid: 100 } });
    expect(sockets.find((s) => s.inode === 2004)?.process).toBeUndefined();
  });

  it.skipIf(!SCHEMAS_PRESENT)('emits events that validate against the official schemas unchanged', async () => {
    const { sink } = await runCase('host-tables', { NetworkActivity_Devices: 'any', NetworkActivity_IncludeLoopback: true });
    expect(sink.events.length).toBeGreaterThan(8);
    expect(schemaProblems(sink.events)).toEqual([]);
  });

  it.skipIf(!SCHEMAS_PRESENT)('has a schema check that rejects a numeric port (the check can fail)', async () => {
    const { sink } = await runCase('host-tables', { NetworkActivity_Devices: 'eth0' });
    const [first] = sink.named('ConnectionCreate');
    const broken = { ...first!, payload: [{ ...first!.payload[0], RemotePort: 51000 }] };
    expect(schemaProblems([broken])).not.toEqual([]);
  });
});

if (!SCHEMAS_PRESENT) console.warn('connection schema test skipped: ../shared/reference (official schemas) not found');
