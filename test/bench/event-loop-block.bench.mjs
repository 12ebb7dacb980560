// How long the process collector holds the host program's event loop, on a host with 2,000 extra processes:
// the longest event-loop delay (perf_hooks.monitorEventLoopDelay, 1 ms resolution) while the collector starts
// (its baseline listing of /proc), while it polls steadily, and while 1,000 processes are replaced at once;
// beside the same waits with no collector, the noise floor of a busy host.
// Polling (Process_Mode 3) and Auto (netlink when the process connector works here). ROUNDS rounds, medians.
// Run: npx tsc -p . && node test/bench/run.mjs event-loop-block
import { spawn } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pino } from 'pino';
import { createProcessCollector } from '../../dist/collectors/process/index.js';
import { systemClock } from '../../dist/src/clock.js';
import { recordResult } from './results.mjs';

const ROUNDS = Number(process.env.ROUNDS ?? 3);
const SLEEPERS = Number(process.env.SLEEPERS ?? 2000);
const STEADY_MS = 3_000;
/** A few milliseconds: the most a collector may hold the event loop at a time (issue 14). */
const BUDGET_MS = 5;
const log = pino({ level: 'silent' }, { write: () => undefined });
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Longest delay in ms seen while `work` runs (minus the 1 ms timer resolution). */
async function longestBlock(work) {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  // The histogram counts from its first tick on: let that pass before the work begins.
  await sleep(20);
  await work();
  h.disable();
  return Math.max(0, h.max / 1e6 - 1);
}

/** `n` sleeping processes forked by one shell (much faster than n spawns from node on a busy host); kill() ends them all. */
async function sleepers(n) {
  const sh = spawn('sh', ['-c', `i=0; while [ $i -lt ${n} ]; do sleep 3600 & i=$((i+1)); done; echo ready; wait`], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
  const kill = () => {
    process.removeListener('exit', kill);
    try { process.kill(-sh.pid, 'SIGKILL'); } catch { /* gone */ }
  };
  process.once('exit', kill);
  await new Promise((resolve) => sh.stdout.once('data', resolve));
  return { kill };
}

async function round(mode) {
  if (mode === 'none') {
    // The noise floor: the same waits with no collector (on a busy host the scheduler alone delays the loop).
    const idle = await longestBlock(() => sleep(1_000));
    const steady = await longestBlock(() => sleep(STEADY_MS));
    const churn = await longestBlock(async () => { const b = await sleepers(1000); await sleep(2_000); b.kill(); await sleep(2_000); });
    return { start: idle, steady, churn, events: 0, detail: 'no collector (noise floor)' };
  }
  let events = 0;
  const c = createProcessCollector({ hostRoot: '/', stateDir: '/tmp', settings: { Process_Mode: mode === 'Polling' ? 3 : 1 }, clock: systemClock, log });
  const start = await longestBlock(() => c.start({ emit: () => events++, error: () => {} }));
  const detail = c.status?.().detail ?? '';
  const steady = await longestBlock(() => sleep(STEADY_MS));
  // 1,000 processes replaced at once: one listing sees 1,000 exits and 1,000 new processes.
  const churn = await longestBlock(async () => {
    const batch = await sleepers(1000);
    await sleep(2_000);
    batch.kill();
    await sleep(2_000);
  });
  await c.stop();
  return { start, steady, churn, events, detail };
}

const load = await sleepers(SLEEPERS);
const rows = [];
try {
  for (const mode of ['none', 'Polling', 'Auto']) {
    const rounds = [];
    for (let i = 0; i < ROUNDS; i++) rounds.push(await round(mode));
    rows.push({
      mode, detail: rounds[0].detail,
      startMs: median(rounds.map((r) => r.start)), steadyMs: median(rounds.map((r) => r.steady)), churnMs: median(rounds.map((r) => r.churn)),
      worstMs: Math.max(...rounds.flatMap((r) => [r.start, r.steady, r.churn])),
    });
  }
} finally {
  load.kill();
}

console.log(`${SLEEPERS} extra sleeping processes; longest event-loop block in ms (monitorEventLoopDelay, 1 ms resolution), median of ${ROUNDS} rounds\n`);
console.log('| Process_Mode | runs as | start (baseline listing) | steady polling | 1,000 replaced | worst of all rounds |');
console.log('| --- | --- | ---: | ---: | ---: | ---: |');
for (const r of rows) console.log(`| ${r.mode} | ${r.detail.slice(0, 60)} | ${r.startMs.toFixed(1)} | ${r.steadyMs.toFixed(1)} | ${r.churnMs.toFixed(1)} | ${r.worstMs.toFixed(1)} |`);
const over = rows.filter((r) => r.mode !== 'none' && Math.max(r.startMs, r.steadyMs, r.churnMs) > BUDGET_MS);
console.log(`\nbudget: ${BUDGET_MS} ms at a time (medians): ${over.length === 0 ? 'met' : `NOT met (${over.map((r) => r.mode).join(', ')})`}`);
recordResult('event-loop-block', { sleepers: SLEEPERS, rounds: ROUNDS, budgetMs: BUDGET_MS, rows });
process.exitCode = over.length === 0 ? 0 : 1;
