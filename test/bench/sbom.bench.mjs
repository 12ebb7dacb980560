// SBoM collector benchmark. Build first: `npx tsc -p .`, then `node test/bench/sbom.bench.mjs`.
// A 3,000-package dpkg status file (this machine's stanzas, repeated under new names), parsed in full by the
// collector, the cost of an idle check (nothing changed), and `dpkg-query -W` on the same database as a child process.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dist = new URL('../../dist/collectors/sbom/', import.meta.url);
const { snapshotPackages, createSbomCollector } = await import(new URL('index.js', dist).href);
const { silentLogger } = await import(new URL('../../src/log.js', dist).href);

const PACKAGES = Number(process.env.BENCH_PACKAGES ?? 3000);
const RUNS = Number(process.env.BENCH_RUNS ?? 30);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (ns) => Number(ns) / 1e6;
/** utime+stime of reaped children so far (/proc/self/stat fields 16-17, 10 ms ticks); differenced per run below. */
let lastChild = 0;
const childCpuMs = () => {
  const s = readFileSync('/proc/self/stat', 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  const total = (Number(f[13]) + Number(f[14])) * 10;
  const delta = total - lastChild;
  lastChild = total;
  return delta;
};

/** Stanzas of this machine's status (installed ones), or a synthetic stanza where there is no dpkg. */
function sourceStanzas() {
  const real = existsSync('/var/lib/dpkg/status') ? readFileSync('/var/lib/dpkg/status', 'utf8').split(/\n\n+/).filter((s) => /^Status: install ok installed$/m.test(s)) : [];
  if (real.length > 0) return real;
  return ['Package: x\nStatus: install ok installed\nMaintainer: Debian X <x@example.org>\nArchitecture: amd64\nVersion: 1.0-1\nDescription: synthetic\n a package made by the benchmark\n'];
}

const root = mkdtempSync(join(tmpdir(), 'sbom-bench-'));
process.on('exit', () => rmSync(root, { recursive: true, force: true }));
const admin = join(root, 'var/lib/dpkg');
mkdirSync(join(admin, 'updates'), { recursive: true });
mkdirSync(join(admin, 'info'), { recursive: true });
const stanzas = sourceStanzas();
const out = [];
for (let i = 0; i < PACKAGES; i++) {
  const s = stanzas[i % stanzas.length];
  out.push(s.replace(/^Package: (\S+)$/m, (_m, name) => `Package: ${name}-b${i}`).trimEnd());
}
writeFileSync(join(admin, 'status'), `${out.join('\n\n')}\n`);
const bytes = readFileSync(join(admin, 'status')).length;

// Full parse: find the database, read and parse every stanza, build records and purls.
const full = [];
const fullCpu = [];
let count = 0;
for (let i = 0; i < RUNS; i++) {
  const t = process.hrtime.bigint();
  const c = process.cpuUsage();
  count = (await snapshotPackages(root)).packages.length;
  const u = process.cpuUsage(c);
  fullCpu.push((u.user + u.system) / 1000);
  full.push(ms(process.hrtime.bigint() - t));
}

// Idle check: the collector after its first inventory, asked again with nothing changed.
const clock = { now: Date.now, setTimeout: () => () => {}, setInterval: () => () => {} };
const collector = createSbomCollector({ hostRoot: root, stateDir: mkdtempSync(join(root, 'state-')), settings: {}, clock, log: silentLogger() });
const sink = { events: 0, emit() { this.events++; }, error() {} };
await collector.start(sink);
const idle = [];
for (let i = 0; i < RUNS * 20; i++) {
  const t = process.hrtime.bigint();
  await collector.collect(sink);
  idle.push(ms(process.hrtime.bigint() - t) * 1000);
}
await collector.stop();

// dpkg-query -W on the same database, as a child process (what shelling out per check would cost).
const query = [];
const queryCpu = [];
let queryCount = '-';
if (spawnSync('sh', ['-c', 'command -v dpkg-query'], { stdio: 'ignore' }).status === 0) {
  childCpuMs();
  for (let i = 0; i < RUNS; i++) {
    const t = process.hrtime.bigint();
    const r = spawnSync('dpkg-query', [`--admindir=${admin}`, '-W'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    query.push(ms(process.hrtime.bigint() - t));
    queryCpu.push(childCpuMs());
    queryCount = r.status === 0 ? String(r.stdout.trim().split('\n').length) : `exit ${r.status}`;
  }
}

console.log(`status file: ${PACKAGES} packages, ${(bytes / 1024).toFixed(0)} KiB; ${RUNS} runs (idle: ${RUNS * 20}); medians\n`);
console.log('| what | median wall | median CPU | packages |');
console.log('| --- | --- | --- | --- |');
console.log(`| full parse by the collector (find, read, parse, purls) | ${median(full).toFixed(2)} ms | ${median(fullCpu).toFixed(1)} ms | ${count} |`);
console.log(`| idle check (one stat, nothing changed) | ${median(idle).toFixed(1)} µs | - | - |`);
console.log(`| \`dpkg-query -W\` child process, same database | ${query.length ? `${median(query).toFixed(2)} ms` : 'dpkg-query not found'} | ${query.length ? `${median(queryCpu)} ms (10 ms ticks)` : '-'} | ${queryCount} |`);
console.log(`\nfirst inventory: ${sink.events} SBoM events`);
