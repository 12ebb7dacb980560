// Baseline run cost: every check of the catalogue against this machine's / (and the LocalUsers read).
// Build first: `npx tsc -p .`, then `node test/bench/baseline.bench.mjs`. BENCH_RUNS (default 30) sets the sample.
import { performance } from 'node:perf_hooks';

const dist = new URL('../../dist/collectors/', import.meta.url);
const { CHECKS } = await import(new URL('baseline/catalogue.js', dist).href);
const { runChecks } = await import(new URL('baseline/run-checks.js', dist).href);
const { readLocalUsers } = await import(new URL('local-users/index.js', dist).href);
const { snapshotHardware } = await import(new URL('connected-hardware/index.js', dist).href);

const RUNS = Number(process.env.BENCH_RUNS ?? 30);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function measure(fn) {
  const times = [];
  const cpu = [];
  for (let i = 0; i < RUNS; i++) {
    const u0 = process.cpuUsage();
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
    const u = process.cpuUsage(u0);
    cpu.push((u.user + u.system) / 1000);
  }
  return { wall: median(times), cpu: median(cpu), first: times[0] };
}

const rows = [
  [`baseline run (${CHECKS.length} checks, /)`, await measure(() => runChecks('/', CHECKS))],
  ['local users read (/etc/passwd, /etc/group)', await measure(() => readLocalUsers('/'))],
  ['hardware inventory (/sys/bus/{usb,pci})', await measure(() => snapshotHardware('/'))],
];
console.log(`| what | median wall ms | median CPU ms | first run wall ms |\n| --- | --- | --- | --- |`);
for (const [what, r] of rows) console.log(`| ${what} | ${r.wall.toFixed(1)} | ${r.cpu.toFixed(1)} | ${r.first.toFixed(1)} |`);
console.log(`\n${RUNS} runs each, node ${process.version}, uid ${process.getuid?.()}`);
