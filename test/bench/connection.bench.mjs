// Benchmark of the NetworkActivity collector. Build first: `npx tsc -p .`, then `node test/bench/connection.bench.mjs`.
// Opens N established loopback TCP connections in this process, then compares medians of:
// a quiet poll of ours (TCP open counters in /proc/net/snmp unchanged: tcp/tcp6 skipped, udp/udp6 read),
// a full poll (tcp/tcp6 read anyway, as every poll did before the counters and at least every 10 s now),
// merely reading the same /proc/net/{tcp,tcp6,udp,udp6} files (the floor), systeminformation.networkConnections().
// The targets apply to the quiet poll: what a steady-state poll costs when nothing changed. Full-poll ratios are shown too.
import { readFile } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import si from 'systeminformation';
import { createConnectionMonitor } from '../../dist/collectors/connection/index.js';
import { discoverNamespaces } from '../../dist/collectors/connection/namespaces.js';
import { TABLES } from '../../dist/collectors/connection/socket-table.js';

const N = Number(process.env.CONNECTIONS ?? 1000);
const RUNS = Number(process.env.RUNS ?? 200);
const SI_RUNS = Number(process.env.SI_RUNS ?? 10);

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const sink = { events: 0, emit() { this.events++; }, error(e) { console.error('collector error:', String(e)); } };
const clock = { now: () => Date.now(), setTimeout: () => () => {}, setInterval: () => () => {} };

async function openConnections(n) {
  const accepted = [];
  const server = createServer((s) => accepted.push(s));
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  const clients = [];
  for (let i = 0; i < n; i += 100) {
    const batch = Array.from({ length: Math.min(100, n - i) }, () => new Promise((r, j) => {
      const c = connect(port, '127.0.0.1', () => r(c)); c.once('error', j);
    }));
    clients.push(...(await Promise.all(batch)));
  }
  while (accepted.length < n) await new Promise((r) => setTimeout(r, 5));
  return () => { for (const s of [...clients, ...accepted]) s.destroy(); server.close(); };
}

const close = await openConnections(N);
const options = {
  hostRoot: '/', stateDir: '/tmp', clock, log: pino({ level: 'silent' }),
  settings: { NetworkActivity_IncludeLoopback: true, NetworkActivity_Devices: 'any' },
};

// First poll reporting everything already open: owner lookup for every socket (a burst, not the steady state).
const burst = createConnectionMonitor({ ...options, reportExisting: true });
let t = performance.now();
await burst.poll(sink);
const burstMs = performance.now() - t;
const burstEvents = sink.events;

const collector = createConnectionMonitor(options);
await collector.poll(sink); // baseline
await collector.poll(sink);
const netDirs = discoverNamespaces('/proc').namespaces.map((ns) => ns.netDir);
const floorRead = () => Promise.all(netDirs.flatMap((d) => TABLES.map((s) => readFile(`${d}/${s.file}`, 'latin1').catch(() => ''))));

const fdBefore = collector.stats.fdDirsRead;
const quiet = [];
const full = [];
const floor = [];
let skipped = 0;
for (let i = 0; i < RUNS; i++) {
  t = performance.now(); await floorRead(); floor.push(performance.now() - t);
  const skipsBefore = collector.stats.tcpSkips;
  t = performance.now(); await collector.poll(sink); quiet.push(performance.now() - t);
  if (collector.stats.tcpSkips - skipsBefore === netDirs.length) skipped++;
  t = performance.now(); await collector.poll(sink, true); full.push(performance.now() - t);
}
const fdDuringSteady = collector.stats.fdDirsRead - fdBefore;

const siRuns = [];
let siCount = 0;
for (let i = 0; i < SI_RUNS; i++) {
  t = performance.now(); siCount = (await si.networkConnections()).length; siRuns.push(performance.now() - t);
}
close();

const [q, o, f, s] = [median(quiet), median(full), median(floor), median(siRuns)];
const fmt = (x) => x.toFixed(3);
console.log(`\n${N} established loopback TCP connections (${2 * N} sockets), ${netDirs.length} network namespace(s), node ${process.version}\n`);
console.log('| measurement | median ms | runs |');
console.log('| --- | ---: | ---: |');
console.log(`| ours: quiet poll, TCP counters unchanged (tcp/tcp6 skipped in ${skipped} of ${RUNS}) | ${fmt(q)} | ${RUNS} |`);
console.log(`| ours: full poll, tables read (nothing new; the old steady state) | ${fmt(o)} | ${RUNS} |`);
console.log(`| floor: read the same /proc/net/{tcp,tcp6,udp,udp6} | ${fmt(f)} | ${RUNS} |`);
console.log(`| systeminformation.networkConnections() (${siCount} rows) | ${fmt(s)} | ${SI_RUNS} |`);
console.log(`| ours: first poll reporting all ${burstEvents} sockets (owner lookup) | ${fmt(burstMs)} | 1 |`);
console.log('');
console.log('Targets apply to the quiet poll (a steady-state poll when nothing changed); full-poll ratios are shown for honesty.\n');
console.log(`| ratio | value | target |`);
console.log('| --- | ---: | ---: |');
console.log(`| quiet / floor | ${(q / f).toFixed(2)} | <= 1.5 |`);
console.log(`| quiet / systeminformation | ${(q / s).toFixed(4)} | <= 0.25 |`);
console.log(`| full / floor | ${(o / f).toFixed(2)} | (none) |`);
console.log(`| full / systeminformation | ${(o / s).toFixed(4)} | (none) |`);
console.log(`| quiet polls that skipped tcp/tcp6 | ${skipped}/${RUNS} | most |`);
console.log(`| /proc/<pid>/fd dirs read during ${2 * RUNS} steady polls | ${fdDuringSteady} | 0 |`);
process.exitCode = q <= 1.5 * f && q <= s / 4 && skipped * 2 > RUNS && fdDuringSteady === 0 ? 0 : 1;
