// The CPU price of the launcher's Node flags on the hot paths: aggregation ingest (a burst of events) and one
// /proc listing poll of the process collector, each in a child started with and without the flags, in the same
// run. Build first (`npx tsc -p .`). The memory these flags save is measured by agent-budget.bench.mjs.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { launcherFlags } from './host-load.mjs';
import { recordResult } from './results.mjs';

const cli = fileURLToPath(new URL('../../dist/src/cli.js', import.meta.url));
const dist = new URL('../../dist/', import.meta.url).href;
const launcher = launcherFlags(cli);
const sets = [['no flags', []], ['launcher flags', launcher], ...launcher.map((f) => [`only ${f}`, [f]])];

const probe = `
  const { Pipeline } = await import('${dist}src/pipeline/pipeline.js');
  const { MemoryOutbox } = await import('${dist}src/outbox/memory-outbox.js');
  const { systemClock } = await import('${dist}src/clock.js');
  const { silentLogger } = await import('${dist}src/log.js');
  const { ProcessPoller } = await import('${dist}collectors/process/process-poller.js');
  const { ProcReader } = await import('${dist}collectors/process/proc-reader.js');
  const { PasswdCache } = await import('${dist}collectors/process/passwd.js');
  const { createNodeHostFs } = await import('${dist}collectors/process/host-fs.js');
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const log = silentLogger();
  const ingest = [];
  for (let r = 0; r < 5; r++) {
    const N = 200000;
    const evs = Array.from({ length: N }, (_, i) => ({ name: 'ProcessCreate', category: 'Triggered', eventType: 'Security', time: 1.7e12 + i,
      aggregationKey: '/usr/bin/cmd --flag ' + (i % 1000), payload: [{ Executable: '/usr/bin/cmd', ProcessId: i, ParentProcessId: 1, UserId: '0', CommandLine: '/usr/bin/cmd --flag ' + (i % 1000) }] }));
    const p = new Pipeline({ clock: systemClock, log, outbox: new MemoryOutbox({ clock: systemClock, log, messageTimeoutMs: 1e9 }), agent: { agentId: 'x', agentVersion: '0' } });
    p.configure({ High: 3.6e6, Medium: 3.6e6, Low: 3.6e6 }, [{ name: 'Process', frequency: 'High', cacheSize: 256000 }]);
    const t = process.cpuUsage();
    for (let i = 0; i < N; i++) p.ingest('Process', evs[i]);
    const u = process.cpuUsage(t);
    ingest.push(N / ((u.user + u.system) / 1e6));
    await p.stop();
  }
  const fs = createNodeHostFs(); const noop = () => {};
  const poller = new ProcessPoller({ reader: new ProcReader('/', fs, noop), passwd: new PasswdCache('/etc/passwd', fs, noop),
    clock: { now: Date.now, setTimeout: () => noop, setInterval: () => noop }, reuseCheck: 'last-pid', maxQuietPolls: 0 });
  await poller.poll();
  const polls = [];
  for (let i = 0; i < 200; i++) { const t = process.cpuUsage(); await poller.poll(); const u = process.cpuUsage(t); polls.push((u.user + u.system) / 1000); }
  console.log(JSON.stringify({ ingestPerS: median(ingest), pollMs: median(polls) }));
`;

const rows = [];
for (const [name, flags] of sets) {
  const r = spawnSync(process.execPath, [...flags, '--input-type=module', '-e', probe], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${name}: ${r.stderr}`);
  rows.push({ name, flags: flags.join(' '), ...JSON.parse(r.stdout.trim().split('\n').at(-1)) });
}
const base = rows[0];
console.log(`| Node flags | ingest events per CPU-second (median of 5) | vs no flags | one /proc listing poll, CPU ms (median of 200) | vs no flags |`);
console.log('| --- | ---: | ---: | ---: | ---: |');
for (const r of rows) {
  console.log(`| ${r.name}${r.flags && r.name !== `only ${r.flags}` ? ` (\`${r.flags}\`)` : ''} | ${Math.round(r.ingestPerS).toLocaleString('en-US')} | ${(r.ingestPerS / base.ingestPerS).toFixed(2)} | ${r.pollMs.toFixed(3)} | ${(r.pollMs / base.pollMs).toFixed(2)} |`);
}
recordResult('node-flags', rows);
