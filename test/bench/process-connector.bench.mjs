// Netlink vs polling over the same loop of 1,000 short processes, in the same run: events seen and CPU per event.
// Build first (`npx tsc -p .`). Each observer runs in its own child process so its CPU is its own.
// BENCH_PROCESSES (default 1000), BENCH_RUNS (default 3; medians reported).
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { createInterface } from 'node:readline';

const COUNT = Number(process.env.BENCH_PROCESSES ?? 1000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const dist = new URL('../../dist/collectors/process/', import.meta.url).href;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// Observer: starts one mode, prints "ready", counts ProcessCreate of PROG until stdin says "report".
const OBSERVER = `
const [mode, prog] = process.argv.slice(1);
const dist = ${JSON.stringify(dist)};
const { ProcReader } = await import(dist + 'proc-reader.js');
const { PasswdCache } = await import(dist + 'passwd.js');
const { createNodeHostFs } = await import(dist + 'host-fs.js');
const fs = createNodeHostFs();
const noop = () => {};
const reader = new ProcReader('/', fs, noop);
const passwd = new PasswdCache('/etc/passwd', fs, noop);
const clock = { now: Date.now, setTimeout: (f, ms) => { const t = setTimeout(f, ms); return () => clearTimeout(t); }, setInterval: (f, ms) => { const t = setInterval(f, ms); return () => clearInterval(t); } };
const comm = '[' + prog.split('/').pop().slice(0, 15) + ']';
let seen = 0, unavailable = 0;
const count = (events) => { for (const e of events) if (e.name === 'ProcessCreate') { const l = e.payload[0].CommandLine; if (l === prog || l === comm) seen++; else if (l.startsWith('[unavailable')) unavailable++; } };
let stop;
if (mode === 'netlink') {
  const { NetlinkWatcher } = await import(dist + 'netlink-watcher.js');
  const { loadCnProc, kernelHasEventFilter } = await import(dist + 'cn-proc-addon.js');
  const load = loadCnProc();
  if (!load.addon) { console.log(JSON.stringify({ error: load.reason })); process.exit(0); }
  const w = new NetlinkWatcher({ addon: load.addon, filtered: kernelHasEventFilter(), reader, passwd, clock, emit: count });
  await w.start();
  stop = () => w.stop();
} else {
  const { ProcessPoller } = await import(dist + 'process-poller.js');
  const p = new ProcessPoller({ reader, passwd, clock, reuseCheck: 'last-pid' });
  await p.poll();
  const t = setInterval(async () => { if (!p.quiet()) count(await p.poll()); }, 100);
  stop = () => clearInterval(t);
}
const t0 = process.cpuUsage();
console.log('ready');
process.stdin.once('data', () => { const u = process.cpuUsage(t0); stop(); console.log(JSON.stringify({ seen, unavailable, cpuMs: (u.user + u.system) / 1000 })); process.exit(0); });
`;

function observer(mode, prog) {
  const child = spawn(process.execPath, ['--input-type=module', '-e', OBSERVER, mode, prog], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const next = () => new Promise((resolve) => lines.once('line', resolve));
  return { child, next };
}

const rows = { netlink: [], polling: [] };
for (let run = 0; run < RUNS; run++) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-cn-'));
  const prog = join(dir, `true-${process.pid}${run}`);
  copyFileSync('/bin/true', prog);
  const obs = { netlink: observer('netlink', prog), polling: observer('polling', prog) };
  const ready = await Promise.all(Object.values(obs).map((o) => o.next()));
  if (ready.some((r) => r !== 'ready')) { console.log(`observer failed: ${ready.join(' | ')}`); process.exit(1); }
  const loop = spawn('sh', ['-c', `i=0; while [ $i -lt ${COUNT} ]; do ${prog}; i=$((i+1)); done`], { stdio: 'ignore' });
  await new Promise((resolve) => loop.once('exit', resolve));
  await new Promise((resolve) => setTimeout(resolve, 1000)); // the last events drain
  for (const [mode, o] of Object.entries(obs)) {
    const answer = o.next();
    o.child.stdin.write('report\n');
    rows[mode].push(JSON.parse(await answer));
  }
  rmSync(dir, { recursive: true, force: true });
  console.log(`run ${run + 1}: ${basename(prog)} netlink ${JSON.stringify(rows.netlink.at(-1))} polling ${JSON.stringify(rows.polling.at(-1))}`);
}
console.log(`\n${COUNT} runs of a copy of /bin/true from one shell loop, ${RUNS} runs, medians; CPU = process.cpuUsage() of the observer`);
console.log('| mode | seen with command line or name (of ' + COUNT + ') | unavailable (any process on the host) | observer CPU ms | CPU ms per process seen |');
console.log('| --- | --- | --- | --- | --- |');
for (const [mode, rs] of Object.entries(rows)) {
  const seen = median(rs.map((r) => r.seen));
  const cpu = median(rs.map((r) => r.cpuMs));
  console.log(`| ${mode} | ${median(rs.map((r) => r.seen))} | ${median(rs.map((r) => r.unavailable))} | ${cpu.toFixed(0)} | ${seen > 0 ? (cpu / seen).toFixed(3) : '-'} |`);
}
