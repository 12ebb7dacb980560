// Storm: BENCH_STORM_PROCS short-lived processes and BENCH_STORM_CONNS loopback connections per second for
// BENCH_STORM_SECONDS against `iot-micro-agent run` (defaults, short priority intervals), started with the
// launcher's Node flags. Measures RSS/RssAnon during and after, CPU during and after (time back to idle),
// the twin round trip during the storm and the drops counted in DroppedEventsStatistics. Build first.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startStorm } from '../support/storm-load.mjs';
import { cpuTicks, launcherFlags, memory } from './host-load.mjs';
import { recordResult } from './results.mjs';

const SECONDS = Number(process.env.BENCH_STORM_SECONDS ?? 30);
const PROCS = Number(process.env.BENCH_STORM_PROCS ?? 2000);
const CONNS = Number(process.env.BENCH_STORM_CONNS ?? 2000);
const INTERVALS = process.env.BENCH_STORM_INTERVALS ?? '10s,20s,30s';
// Extra Node flags for the agent, e.g. BENCH_STORM_NODE_FLAGS='--cpu-prof --cpu-prof-dir=/tmp/prof' to see where its time goes.
const NODE_FLAGS = (process.env.BENCH_STORM_NODE_FLAGS ?? '').split(' ').filter(Boolean);
const BUDGET = { rssMb: 120, twinMs: 2000, idleWithinS: 10 };

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(root, 'dist/src/cli.js');
const { SimulatedHub } = await import(new URL('../../dist/src/sim-hub/index.js', import.meta.url).href);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const dir = mkdtempSync(join(tmpdir(), 'bench-storm-'));
const hub = await SimulatedHub.start({ stateDir: join(dir, 'hub') });
const identity = hub.createModule(`storm-${Date.now()}`);
writeFileSync(join(dir, 'cs.txt'), identity.connectionString, { mode: 0o600 });
writeFileSync(join(dir, 'config.json'), JSON.stringify({
  connectionStringFile: join(dir, 'cs.txt'), trustedCaFile: hub.caFile, stateDir: join(dir, 'state'), logLevel: 'warn',
  twinDefaults: { CollectorsCore_PriorityIntervals: INTERVALS },
}));
const agent = spawn(process.execPath, [...launcherFlags(cli), ...NODE_FLAGS, cli, 'run', '--config', join(dir, 'config.json')], { stdio: ['ignore', 'ignore', 'inherit'] });
const killAgent = () => agent.kill('SIGKILL');
process.once('exit', killAgent);

/** CPU % of one core over `ms`, sampled now. */
async function cpuOver(ms) {
  const t0 = cpuTicks(agent.pid); const w0 = performance.now();
  await sleep(ms);
  return ((cpuTicks(agent.pid) - t0) / 100 / ((performance.now() - w0) / 1000)) * 100;
}

const stats = () => {
  const sums = {};
  for (const m of hub.messages({ deviceId: identity.deviceId })) {
    for (const e of JSON.parse(m.body.toString('utf8')).Events) {
      if (e.Name !== 'DroppedEventsStatistics') continue;
      for (const item of e.Payload) {
        const c = item.ExtraDetails?.Collector ?? '?';
        sums[c] ??= { collected: 0, dropped: 0 };
        sums[c].collected += item.CollectedEvents; sums[c].dropped += item.DroppedEvents;
      }
    }
  }
  return sums;
};

let result;
try {
  await hub.waitForReported(identity.deviceId, identity.moduleId, (r) => r.latest_state === 'success', 30_000);
  await sleep(10_000); // start-up work (SBoM, baseline, first sends) settles
  const idleCpu = await cpuOver(5_000);
  const mem = { during: [], after: [] };
  const storm = startStorm({ processesPerSecond: PROCS, connectionsPerSecond: CONNS, seconds: SECONDS });
  const a0 = cpuTicks(agent.pid); const w0 = performance.now();
  let stormOver = false;
  const counts = storm.done.then((c) => { stormOver = true; return c; });
  const twin = [];
  let i = 0;
  while (!stormOver) {
    mem.during.push(memory(agent.pid));
    if (i++ % 3 === 1) {
      // Answered: the reported section shows this change's value (a status report in between does not count).
      const size = 100 + i;
      const t = performance.now();
      hub.patchDesired(identity.deviceId, identity.moduleId, { Login_CacheSize: size });
      try {
        await hub.waitForReported(identity.deviceId, identity.moduleId, (r) => r.latest_state === 'success' && r.collectors?.Login?.settings?.Login_CacheSize === size, 15_000);
        twin.push(performance.now() - t);
      } catch { twin.push(Infinity); }
    }
    await sleep(1000);
  }
  const achieved = await counts;
  const stormCpu = ((cpuTicks(agent.pid) - a0) / 100 / ((performance.now() - w0) / 1000)) * 100;
  // Back to idle: the first 1 s window after the storm whose CPU is within 2 points (or 2x) of the idle level.
  const idleLimit = Math.max(idleCpu * 2, idleCpu + 2);
  const afterCpu = [];
  let idleAfterS = null;
  for (let s = 1; s <= 20; s++) {
    mem.after.push(memory(agent.pid));
    const c = await cpuOver(1000);
    afterCpu.push(c);
    if (idleAfterS === null && c <= idleLimit) idleAfterS = s;
  }
  await sleep(Number(INTERVALS.split(',')[2].replace('s', '')) * 1000); // let the last Statistics arrive
  const max = (xs, k) => Math.max(...xs.map((x) => x[k]));
  result = {
    seconds: SECONDS, target: { processesPerSecond: PROCS, connectionsPerSecond: CONNS }, achieved,
    idleCpuPct: idleCpu, stormCpuPct: stormCpu, afterCpuPct: afterCpu, idleAfterS,
    rssMaxDuringMb: max(mem.during, 'rssMb'), anonMaxDuringMb: max(mem.during, 'anonMb'),
    rssMaxAfterMb: max(mem.after, 'rssMb'), anonMaxAfterMb: max(mem.after, 'anonMb'),
    twinMs: twin, twinMaxMs: Math.max(...twin), statistics: stats(), agentAlive: agent.exitCode === null,
  };
} finally {
  agent.kill('SIGTERM');
  await Promise.race([new Promise((r) => agent.once('exit', r)), sleep(10_000)]);
  killAgent();
  await hub.stop();
  rmSync(dir, { recursive: true, force: true });
}

const f = (n, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : String(n));
const r = result;
const s = (c) => r.statistics[c] ?? { collected: 0, dropped: 0 };
console.log(`\n### Storm: ${PROCS} processes/s and ${CONNS} connections/s targeted for ${SECONDS} s, defaults with ${INTERVALS} (node ${process.version})\n`);
console.log('| figure | value | budget |');
console.log('| --- | ---: | ---: |');
console.log(`| processes started (rate achieved /s) | ${r.achieved.processes} (${f(r.achieved.processesPerSecond)}) | target ${PROCS} |`);
console.log(`| connections opened (rate achieved /s, failed) | ${r.achieved.connections} (${f(r.achieved.connectionsPerSecond)}, ${r.achieved.connectionsFailed}) | target ${CONNS} |`);
console.log(`| RSS max during / after MB | ${f(r.rssMaxDuringMb)} / ${f(r.rssMaxAfterMb)} | <= ${BUDGET.rssMb} |`);
console.log(`| RssAnon max during / after MB | ${f(r.anonMaxDuringMb)} / ${f(r.anonMaxAfterMb)} | |`);
console.log(`| CPU % idle before / during storm | ${f(r.idleCpuPct, 2)} / ${f(r.stormCpuPct)} | |`);
console.log(`| CPU % in the 1 s windows after (first 10) | ${r.afterCpuPct.slice(0, 10).map((c) => f(c)).join(', ')} | |`);
console.log(`| s until CPU back to idle | ${r.idleAfterS ?? '> 20'} | <= ${BUDGET.idleWithinS} |`);
console.log(`| twin round trip during storm, ms (n, median, max) | ${r.twinMs.length}, ${f([...r.twinMs].sort((a, b) => a - b)[Math.floor(r.twinMs.length / 2)], 0)}, ${f(r.twinMaxMs, 0)} | <= ${BUDGET.twinMs} |`);
console.log(`| Process: collected / dropped (DroppedEventsStatistics sums) | ${s('Process').collected} / ${s('Process').dropped} | |`);
console.log(`| NetworkActivity: collected / dropped | ${s('NetworkActivity').collected} / ${s('NetworkActivity').dropped} | |`);
const broken = [];
if (!r.agentAlive) broken.push('the agent exited during the storm');
if (Math.max(r.rssMaxDuringMb, r.rssMaxAfterMb) > BUDGET.rssMb) broken.push(`RSS ${f(Math.max(r.rssMaxDuringMb, r.rssMaxAfterMb))} MB > ${BUDGET.rssMb}`);
if (!(r.twinMaxMs <= BUDGET.twinMs)) broken.push(`twin answer ${f(r.twinMaxMs, 0)} ms > ${BUDGET.twinMs}`);
if (r.idleAfterS === null || r.idleAfterS > BUDGET.idleWithinS) broken.push(`CPU not back to idle within ${BUDGET.idleWithinS} s`);
console.log(broken.length === 0 ? '\nbudget met' : `\nBUDGET BROKEN: ${broken.join('; ')}`);
recordResult('storm', { ...r, budget: BUDGET, broken });
process.exitCode = broken.length === 0 ? 0 : 1;
