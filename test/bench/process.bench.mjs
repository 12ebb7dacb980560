// Process collector benchmark. Build first: `npx tsc -p .`, then `node test/bench/process.bench.mjs`.
// BENCH_SECONDS (default 60) shortens the whole-collector run; BENCH_SLEEPERS (default 500) the load.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import si from 'systeminformation';

const dist = new URL('../../dist/collectors/process/', import.meta.url);
const { ProcessPoller } = await import(new URL('process-poller.js', dist).href);
const { ProcReader } = await import(new URL('proc-reader.js', dist).href);
const { PasswdCache } = await import(new URL('passwd.js', dist).href);
const { createNodeHostFs } = await import(new URL('host-fs.js', dist).href);
const { SimulatedHub } = await import(new URL('../../src/index.js', dist).href);

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

/** Last pid the kernel handed out (/proc/loadavg): its growth over a window is the host's churn. */
const lastPidNow = () => Number(readFileSync('/proc/loadavg', 'utf8').trim().split(/\s+/).at(-1));

const sleepers = [];
const killAll = () => { for (const c of sleepers) c.kill('SIGKILL'); };
process.on('exit', killAll);
for (let i = 0; i < SLEEPERS; i++) sleepers.push(spawn('sleep', ['3600'], { stdio: 'ignore' }));
await new Promise((r) => setTimeout(r, 500));
const pidCount = (await readdir('/proc')).filter((n) => /^\d+$/.test(n)).length;

async function pollerCost(reuseCheck, runs, maxQuietPolls) {
  const fs = createNodeHostFs();
  const noop = () => {};
  const poller = new ProcessPoller({
    reader: new ProcReader('/', fs, noop),
    passwd: new PasswdCache('/etc/passwd', fs, noop),
    clock: { now: Date.now, setTimeout: () => noop, setInterval: () => noop },
    reuseCheck,
    maxQuietPolls,
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

const quiet = await pollerCost('last-pid', 300, 1e9);
const lastPid = await pollerCost('last-pid', 300, 0);
const inode = await pollerCost('inode', 300, 0);
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

// 60 s at the default interval, each in its own node process, run side by side: the whole agent with only
// this collector (other collectors disabled through twinDefaults, outbox in memory, connected over MQTT to
// a simulated hub living in this parent process), the collector alone, and a bare node waking every 100 ms.
const hub = await SimulatedHub.start({ stateDir: mkdtempSync(join(tmpdir(), 'bench-hub-')) });
const identity = hub.createModule('bench-device');
const childScript = (mode) => `
  const { createProcessCollector } = await import(${JSON.stringify(new URL('index.js', dist).href)});
  const { systemClock } = await import(${JSON.stringify(new URL('../../src/clock.js', dist).href)});
  const { MicroAgent } = await import(${JSON.stringify(new URL('../../src/index.js', dist).href)});
  const { COLLECTOR_NAMES } = await import(${JSON.stringify(new URL('../../src/config/twin-keys.js', dist).href)});
  const { pino } = await import('pino');
  const log = pino({ level: 'silent' });
  const mode = ${JSON.stringify(mode)};
  let events = 0;
  let stop = async () => {};
  if (mode === 'collector') {
    const c = createProcessCollector({ hostRoot: '/', stateDir: '/tmp', settings: {}, clock: systemClock, log });
    await c.start({ emit: () => events++, error: () => {} });
    stop = () => c.stop();
  } else if (mode === 'agent') {
    const off = Object.fromEntries(COLLECTOR_NAMES.filter((n) => n !== 'Process' && n !== 'Statistics').map((n) => [n + '_Disabled', true]));
    const agent = new MicroAgent({ connectionString: process.env.BENCH_CS, ca: process.env.BENCH_CA, log, twinDefaults: off });
    const connected = new Promise((r) => agent.once('connected', r));
    await agent.start();
    await connected;
    await new Promise((r) => setTimeout(r, 2000)); // twin exchange and first reported patch are start-up, not steady state
    events = undefined;
    stop = () => agent.stop();
  }
  const keep = setInterval(() => {}, mode === 'idle' ? 100 : 1000);
  process.send('measuring');
  const t0 = process.cpuUsage(); const w0 = performance.now();
  await new Promise((r) => setTimeout(r, ${SECONDS * 1000}));
  const u = process.cpuUsage(t0); const wall = performance.now() - w0;
  const rssMb = process.memoryUsage().rss / 1048576;
  await stop(); clearInterval(keep);
  console.log(JSON.stringify({ cpuPct: (u.user + u.system) / 1000 / wall * 100, rssMb, maxRssMb: process.resourceUsage().maxRSS / 1024, events }));
  if (process.connected) process.disconnect(); // the parent may be gone already
`;
const runChild = (mode) => {
  const child = spawn(process.execPath, ['--input-type=module', '-e', childScript(mode)], {
    cwd: fileURLToPath(new URL('../..', import.meta.url)), stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    env: { ...process.env, BENCH_CS: identity.connectionString, BENCH_CA: hub.caPem },
  });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  const measuring = new Promise((resolve) => child.once('message', resolve));
  const done = new Promise((resolve, reject) => child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`${mode} child exited ${code}`)))));
  return { measuring, done };
};
const modes = ['agent', 'collector', 'idle'].map(runChild);
await Promise.all(modes.map((m) => m.measuring));
// The sandbox's own churn during the window: pids (threads included) handed out by the kernel.
const pid0 = lastPidNow();
const w0 = performance.now();
const [agent, collector, idle] = await Promise.all(modes.map((m) => m.done));
const churn = (lastPidNow() - pid0) / ((performance.now() - w0) / 1000);
await hub.stop();
killAll();

const f = (n, d = 3) => n.toFixed(d);
console.log(`\n### Process collector benchmark (${pidCount} pids, ${SLEEPERS} sleep processes, node ${process.version})\n`);
console.log('| measurement | median CPU ms |');
console.log('| --- | --- |');
console.log(`| tick with /proc/loadavg unchanged (nothing started or ended: no listing) | ${f(quiet.steady)} |`);
console.log(`| steady-state poll listing /proc, last-pid reuse check (default) | ${f(lastPid.steady)} |`);
console.log(`| steady-state poll, inode reuse check (foreign pid namespace) | ${f(inode.steady)} |`);
console.log(`| first poll (baseline, reads every process) | ${f(lastPid.baseline)} |`);
console.log(`| readdir /proc, sync | ${f(median(syncList))} |`);
console.log(`| readdir /proc, fs/promises | ${f(median(asyncList))} |`);
console.log(`| systeminformation.processes(), node only | ${f(median(siNode))} |`);
console.log(`| systeminformation.processes(), node + ps children | ${f(median(siTotal))} |`);
console.log(`\nratio ours / si (node only): 1/${f(median(siNode) / lastPid.steady, 0)}; ours / si (with children): 1/${f(median(siTotal) / lastPid.steady, 0)}\n`);
console.log(`| ${SECONDS} s at 100 ms | CPU % of one core | RSS MB (end) | max RSS MB | events |`);
console.log('| --- | --- | --- | --- | --- |');
console.log(`| whole agent, only Process enabled, connected to a simulated hub | ${f(agent.cpuPct, 2)} | ${f(agent.rssMb, 1)} | ${f(agent.maxRssMb, 1)} | - |`);
console.log(`| Process collector alone | ${f(collector.cpuPct, 2)} | ${f(collector.rssMb, 1)} | ${f(collector.maxRssMb, 1)} | ${collector.events} |`);
console.log(`| bare node, timer every 100 ms (the floor) | ${f(idle.cpuPct, 2)} | ${f(idle.rssMb, 1)} | ${f(idle.maxRssMb, 1)} | - |`);
console.log(`\nsandbox churn during the window: ${f(churn, 1)} pids/s handed out (threads included, none by the bench)`);
