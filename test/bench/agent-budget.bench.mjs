// Whole-agent resource budget: `iot-micro-agent run` with the default configuration, started the way the
// launcher starts it (the Node flags of dist/src/cli.js's shebang), on a host with BENCH_SLEEPERS extra
// processes and BENCH_SOCKETS loopback sockets, measured over BENCH_SECONDS after BENCH_WARMUP seconds and the start-up inventory message (steady state),
// side by side with a bare `node -e 'setInterval(()=>{},1000)'`. Build first (`npx tsc -p .`).
// BENCH_PROCESS_MODE picks Process_Mode (1 Auto, 3 Polling); exits 1 when a figure breaks the budget.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuTicks, launcherFlags, memory, startLoad } from './host-load.mjs';
import { recordResult } from './results.mjs';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 10);
const SLEEPERS = Number(process.env.BENCH_SLEEPERS ?? 500);
const SOCKETS = Number(process.env.BENCH_SOCKETS ?? 1000);
const MODES = (process.env.BENCH_PROCESS_MODE ?? '3,1').split(',').map(Number);
const CONNECT_TIMEOUT_S = Number(process.env.BENCH_CONNECT_TIMEOUT ?? 30); // longer on a busy shared machine
const INVENTORY_TIMEOUT_S = Number(process.env.BENCH_INVENTORY_TIMEOUT ?? 60);
const BUDGET = { rssMb: 60, anonMb: 20, rssRatio: 1.5, cpuPollingPct: 1, cpuNetlinkPct: 0.3 };

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(root, process.env.BENCH_CLI ?? 'dist/src/cli.js');
const { SimulatedHub } = await import(new URL('../../dist/src/sim-hub/index.js', import.meta.url).href);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const load = await startLoad({ sleepers: SLEEPERS, sockets: SOCKETS });
const hubDir = mkdtempSync(join(tmpdir(), 'bench-budget-hub-'));
const hub = await SimulatedHub.start({ stateDir: hubDir });

/** One agent run against its own module identity, with the bare node floor measured over the same window. */
async function measure(processMode) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-budget-'));
  const identity = hub.createModule(`budget-${processMode}-${Date.now()}`);
  writeFileSync(join(dir, 'cs.txt'), identity.connectionString, { mode: 0o600 });
  writeFileSync(join(dir, 'config.json'), JSON.stringify({
    connectionStringFile: join(dir, 'cs.txt'), trustedCaFile: hub.caFile, stateDir: join(dir, 'state'), logLevel: 'warn',
    twinDefaults: { Process_Mode: processMode },
  }));
  // BENCH_NODE_FLAGS tries other flags than the launcher's (to measure what each one buys).
  const flags = process.env.BENCH_NODE_FLAGS !== undefined ? process.env.BENCH_NODE_FLAGS.split(' ').filter(Boolean) : launcherFlags(cli);
  const t0 = performance.now();
  const agent = spawn(process.execPath, [...flags, cli, 'run', '--config', join(dir, 'config.json')], { stdio: ['ignore', 'ignore', 'inherit'] });
  const bare = spawn(process.execPath, ['-e', 'setInterval(()=>{},1000)'], { stdio: 'ignore' });
  const stopBoth = () => { agent.kill('SIGTERM'); bare.kill('SIGKILL'); };
  process.once('exit', stopBoth); // a failed run must not leave the agent behind
  const connected = await waitFor(() => hub.connectedClients().some((c) => c.includes(identity.deviceId)), CONNECT_TIMEOUT_S * 1000);
  const startupMs = performance.now() - t0;
  if (!connected) throw new Error(`the agent did not connect within ${CONNECT_TIMEOUT_S} s`);
  await sleep(WARMUP * 1000);
  // Steady state starts once the start-up inventory (SBoM, Baseline, SystemInformation: one large message whose
  // first send is offset by up to 30 s to spread a fleet's restarts) has left; its cost is reported on its own.
  const inventory = await waitFor(() => hub.messages({ deviceId: identity.deviceId }).some((m) => m.body.includes('"SBoM"')), INVENTORY_TIMEOUT_S * 1000);
  const startCpuS = cpuTicks(agent.pid) / 100;
  const inventoryAtS = (performance.now() - t0) / 1000;
  await sleep(2000); // the send's own work (ack, outbox release, the collection after it) is start-up too
  const bytes0 = hubBytes(identity.deviceId);
  const a0 = cpuTicks(agent.pid); const b0 = cpuTicks(bare.pid); const w0 = performance.now();
  const samples = [];
  while (performance.now() - w0 < SECONDS * 1000) {
    samples.push({ agent: memory(agent.pid), bare: memory(bare.pid) });
    await sleep(1000);
  }
  const wallS = (performance.now() - w0) / 1000;
  const cpu = (ticks0, pid) => ((cpuTicks(pid) - ticks0) / 100 / wallS) * 100;
  const result = {
    processMode,
    startupMs: Math.round(startupMs),
    inventorySent: inventory,
    inventoryAtS,
    startCpuS,
    cpuPct: cpu(a0, agent.pid),
    bareCpuPct: cpu(b0, bare.pid),
    rssMaxMb: Math.max(...samples.map((s) => s.agent.rssMb)),
    rssMedianMb: median(samples.map((s) => s.agent.rssMb)),
    anonMaxMb: Math.max(...samples.map((s) => s.agent.anonMb)),
    bareRssMaxMb: Math.max(...samples.map((s) => s.bare.rssMb)),
    bytesInWindow: hubBytes(identity.deviceId) - bytes0,
    wallS,
  };
  process.removeListener('exit', stopBoth);
  stopBoth();
  await new Promise((r) => agent.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
  return result;
}

function hubBytes(deviceId) {
  return hub.messages({ deviceId }).reduce((n, m) => n + m.size, 0);
}

async function waitFor(check, ms) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await sleep(100);
  }
  return false;
}

const results = [];
try {
  for (const mode of MODES) results.push(await measure(mode));
} finally {
  await hub.stop();
  load.stop();
  rmSync(hubDir, { recursive: true, force: true });
}

const f = (n, d = 1) => n.toFixed(d);
const modeName = (m) => ({ 1: 'Auto (Netlink where it works)', 2: 'Netlink', 3: 'Polling' })[m] ?? String(m);
console.log(`\n### Whole agent, defaults, ${SLEEPERS} extra processes and ${SOCKETS} loopback sockets, ${SECONDS} s after ${WARMUP} s warm-up (node ${process.version})\n`);
console.log('| Process_Mode | CPU % of a core | RSS max MB | RSS median MB | private (RssAnon) max MB | bare node RSS max MB | RSS / bare | start to connected ms | start-up inventory sent at s (CPU s until then) | bytes to hub in window |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
const broken = [];
for (const r of results) {
  const ratio = r.rssMaxMb / r.bareRssMaxMb;
  console.log(`| ${modeName(r.processMode)} | ${f(r.cpuPct, 2)} | ${f(r.rssMaxMb)} | ${f(r.rssMedianMb)} | ${f(r.anonMaxMb)} | ${f(r.bareRssMaxMb)} | ${f(ratio, 2)} | ${r.startupMs} | ${r.inventorySent ? f(r.inventoryAtS) : 'not sent'} (${f(r.startCpuS, 2)}) | ${r.bytesInWindow} |`);
  const cpuBudget = r.processMode === 3 ? BUDGET.cpuPollingPct : BUDGET.cpuNetlinkPct;
  if (r.rssMaxMb > BUDGET.rssMb) broken.push(`mode ${r.processMode}: RSS ${f(r.rssMaxMb)} MB > ${BUDGET.rssMb}`);
  if (r.anonMaxMb > BUDGET.anonMb) broken.push(`mode ${r.processMode}: private ${f(r.anonMaxMb)} MB > ${BUDGET.anonMb}`);
  if (ratio > BUDGET.rssRatio) broken.push(`mode ${r.processMode}: RSS/bare ${f(ratio, 2)} > ${BUDGET.rssRatio}`);
  if (r.cpuPct > cpuBudget) broken.push(`mode ${r.processMode}: CPU ${f(r.cpuPct, 2)} % > ${cpuBudget}`);
  if (!r.inventorySent) broken.push(`mode ${r.processMode}: the start-up inventory was not sent within ${INVENTORY_TIMEOUT_S} s`);
}
console.log(`\nbudget: RSS <= ${BUDGET.rssMb} MB, private <= ${BUDGET.anonMb} MB, RSS <= ${BUDGET.rssRatio} x bare node, CPU <= ${BUDGET.cpuPollingPct} % polling / ${BUDGET.cpuNetlinkPct} % netlink`);
console.log(broken.length === 0 ? 'budget met' : `BUDGET BROKEN: ${broken.join('; ')}`);
recordResult('agent-budget', { sleepers: SLEEPERS, sockets: SOCKETS, seconds: SECONDS, budget: BUDGET, results, broken });
process.exitCode = broken.length === 0 ? 0 : 1;
