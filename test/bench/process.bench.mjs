// Process collector benchmark. Build first: `npx tsc -p .`, then `node test/bench/process.bench.mjs`.
// BENCH_SECONDS (default 60) shortens the whole-collector run; BENCH_SLEEPERS (default 500) the load.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import si from 'systeminformation';

const dist = new URL('../../dist/collectors/process/', import.meta.url);
const { ProcessPoller } = await import(new URL('process-poller.js', dist).href);
const { ProcReader } = await import(new URL('proc-reader.js', dist).href);
const { PasswdCache } = await import(new URL('passwd.js', dist).href);
const { createNodeHostFs } = await import(new URL('host-fs.js', dist).href);

const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const SLEEPERS = Number(process.env.BENCH_SLEEPERS ?? 500);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const cpuMs = (u) => (u.user + u.system) / 1000;
/** utime+stime of our reaped children, from /proc/self/stat fields 16-17 (clock ticks, 10 ms). */
const childCpuMs = () => {
  const s = readFileSync('/proc/self/stat', 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return (Number(f[13]) + Number(f[14])) * 10;
};

const sleepers = [];
const killAll = () => { for (const c of sleepers) c.kill('SIGKILL'); };
process.on('exit', killAll);
for (let i = 0; i < SLEEPERS; i++) sleepers.push(spawn('sleep', ['3600'], { stdio: 'ignore' }));
await new Promise((r) => setTimeout(r, 500));
const pidCount = (await readdir('/proc')).filter((n) => /^\d+$/.test(n)).length;

async function pollerCost(reuseCheck, runs) {
  const fs = createNodeHostFs();
  const noop = () => {};
  const poller = new ProcessPoller({
    reader: new ProcReader('/', fs, noop),
    passwd: new PasswdCache('/etc/passwd', fs, noop),
    clock: { now: Date.now, setTimeout: () => noop, setInterval: () => noop },
    reuseCheck,
  });
  const t0 = process.cpuUsage();
  await poller.poll();
  const baseline = cpuMs(process.cpuUsage(t0));
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const t = process.cpuUsage();
    await poller.poll();
    samples.push(cpuMs(process.cpuUsage(t)));
  }
  return { baseline, steady: median(samples) };
}

const lastPid = await pollerCost('last-pid', 300);
const inode = await pollerCost('inode', 300);
const asyncList = [];
for (let i = 0; i < 300; i++) {
  const t = process.cpuUsage();
  await readdir('/proc');
  asyncList.push(cpuMs(process.cpuUsage(t)));
}
const syncList = [];
const fs = createNodeHostFs();
for (let i = 0; i < 300; i++) {
  const t = process.cpuUsage();
  fs.readdir('/proc');
  syncList.push(cpuMs(process.cpuUsage(t)));
}

const siNode = [];
const siTotal = [];
for (let i = 0; i < 7; i++) {
  await new Promise((r) => setTimeout(r, 600)); // past systeminformation's 500 ms cache
  const t = process.cpuUsage();
  const c0 = childCpuMs();
  await si.processes();
  const node = cpuMs(process.cpuUsage(t));
  siNode.push(node);
  siTotal.push(node + childCpuMs() - c0);
}

// Whole collector at the default interval, in a child node process, against an idle node child.
const childScript = (withCollector) => `
  const { createProcessCollector } = await import(${JSON.stringify(new URL('index.js', dist).href)});
  const { systemClock } = await import(${JSON.stringify(new URL('../../src/clock.js', dist).href)});
  const { pino } = await import('pino');
  let events = 0;
  const c = ${withCollector} ? createProcessCollector({ hostRoot: '/', stateDir: '/tmp', settings: {}, clock: systemClock, log: pino({ level: 'silent' }) }) : undefined;
  await c?.start({ emit: () => events++, error: () => {} });
  const t0 = process.cpuUsage(); const w0 = performance.now();
  const keep = setInterval(() => {}, 1000);
  await new Promise((r) => setTimeout(r, ${SECONDS * 1000}));
  const u = process.cpuUsage(t0); const wall = performance.now() - w0;
  await c?.stop(); clearInterval(keep);
  console.log(JSON.stringify({ cpuPct: (u.user + u.system) / 1000 / wall * 100, rssMb: process.memoryUsage().rss / 1048576, maxRssMb: process.resourceUsage().maxRSS / 1024, events }));
`;
const runChild = (withCollector) => new Promise((resolve, reject) => {
  const child = spawn(process.execPath, ['--input-type=module', '-e', childScript(withCollector)], { cwd: fileURLToPath(new URL('../..', import.meta.url)), stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`child exited ${code}`))));
});
const [collector, idle] = await Promise.all([runChild(true), runChild(false)]);
killAll();

const f = (n, d = 3) => n.toFixed(d);
console.log(`\n### Process collector benchmark (${pidCount} pids, ${SLEEPERS} sleep processes, node ${process.version})\n`);
console.log('| measurement | median CPU ms |');
console.log('| --- | --- |');
console.log(`| steady-state poll, last-pid reuse check (default) | ${f(lastPid.steady)} |`);
console.log(`| steady-state poll, inode reuse check (foreign pid namespace) | ${f(inode.steady)} |`);
console.log(`| first poll (baseline, reads every process) | ${f(lastPid.baseline)} |`);
console.log(`| readdir /proc, sync | ${f(median(syncList))} |`);
console.log(`| readdir /proc, fs/promises | ${f(median(asyncList))} |`);
console.log(`| systeminformation.processes(), node only | ${f(median(siNode))} |`);
console.log(`| systeminformation.processes(), node + ps children | ${f(median(siTotal))} |`);
console.log(`\nratio ours / si (node only): 1/${f(median(siNode) / lastPid.steady, 0)}; ours / si (with children): 1/${f(median(siTotal) / lastPid.steady, 0)}\n`);
console.log(`| ${SECONDS} s at 100 ms | CPU % of one core | RSS MB (end) | max RSS MB | events |`);
console.log('| --- | --- | --- | --- | --- |');
console.log(`| collector | ${f(collector.cpuPct, 2)} | ${f(collector.rssMb, 1)} | ${f(collector.maxRssMb, 1)} | ${collector.events} |`);
console.log(`| idle node (same script, no collector) | ${f(idle.cpuPct, 2)} | ${f(idle.rssMb, 1)} | ${f(idle.maxRssMb, 1)} | - |`);
