import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { loadChangeGate } from '../../../collectors/change-gate.js';
import { createConnectionMonitor } from '../../../collectors/connection/index.js';
import { REFRESH_MS } from '../../../collectors/connection/monitor.js';
import { discoverNamespaces } from '../../../collectors/connection/namespaces.js';
import { waitUntil } from '../../support/stream-tally.js';
import { TimerLog } from '../../support/timer-log.js';
import { options, RecordingSink } from './harness.js';

const LOOPBACK = { NetworkActivity_Devices: 'eth0', NetworkActivity_IncludeLoopback: true };
const gate = loadChangeGate();
const namespaces = discoverNamespaces('/proc').namespaces.length;
const skipReason = gate === undefined ? 'the cn-proc addon (with its change gate) does not load here'
  : namespaces > 1 ? `${namespaces} network namespaces visible: the collector polls every interval with containers` : undefined;

/** Listens, prints its port, then blocks its event loop 3 s: a connection made meanwhile waits in the accept queue. */
const SLOW_ACCEPT = `const server = require('node:net').createServer(() => undefined);
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(server.address().port + '\\n');
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 3000);
});
setTimeout(() => process.exit(0), 30000);`;

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe(`connection collector with the change gate, on this host${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  it.skipIf(skipReason !== undefined)('registers no per-second interval, yet reports a loopback connection opened after start', async () => {
    const clock = new TimerLog();
    const collector = createConnectionMonitor(options('/', LOOPBACK, { clock, ...(gate ? { changeGate: gate } : {}) }));
    cleanups.push(() => collector.stop());
    const sink = new RecordingSink();
    await collector.start!(sink);
    expect(clock.intervals()).toEqual([REFRESH_MS]); // the safety interval only: polls wait for the counters to move

    const server = createServer((s) => cleanups.push(() => void s.destroy()));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    const port = (server.address() as AddressInfo).port;
    const client: Socket = connect(port, '127.0.0.1');
    cleanups.push(() => void client.destroy());
    await new Promise<void>((r) => client.once('connect', () => r()));

    const directions = (): string[] => sink.events.filter((e) => e.name === 'ConnectionCreate').map((e) => e.payload[0] as Record<string, unknown>)
      .filter((p) => p['LocalPort'] === String(port) || p['RemotePort'] === String(port)).map((p) => String(p['Direction'])).sort();
    await waitUntil(() => directions().length >= 2, 15_000, 'both ends of the loopback connection');
    expect(directions()).toEqual(['In', 'Out']);
    expect(clock.intervals()).toEqual([REFRESH_MS]);
  });

  it.skipIf(skipReason !== undefined)('sees the accepting side of a connection that waited in the accept queue, though accept() moves no counter', async () => {
    const collector = createConnectionMonitor(options('/', LOOPBACK, { clock: new TimerLog(), ...(gate ? { changeGate: gate } : {}) }));
    cleanups.push(() => collector.stop());
    const sink = new RecordingSink();
    await collector.start!(sink);
    const child = spawn(process.execPath, ['-e', SLOW_ACCEPT], { stdio: ['ignore', 'pipe', 'ignore'] });
    cleanups.push(() => void child.kill());
    const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
    const port = Number(chunk.toString().trim());
    const client = connect(port, '127.0.0.1');
    cleanups.push(() => void client.destroy());
    await new Promise<void>((r) => client.once('connect', () => r()));

    const accepted = (): boolean => sink.events.some((e) => e.name === 'ConnectionCreate' && e.payload.some((p) =>
      p['Direction'] === 'In' && p['LocalPort'] === String(port) && p['ProcessId'] === child.pid));
    await waitUntil(accepted, 15_000, "the child's accepted connection (In)");
  });
});
