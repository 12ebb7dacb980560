// Bytes to the hub per hour at the default configuration on this (idle) host. Every priority interval is
// shortened to BENCH_VOLUME_INTERVAL (default 1m) for BENCH_VOLUME_MINUTES (default 4) minutes; each event's
// share of its message's bytes (envelope and properties split by JSON length) is summed per event name, taken
// per send, and multiplied by the sends per hour of its collector's default priority. A lower bound for
// activity events (a 2-hour interval gathers more distinct commands than a 1-minute one); exact for snapshots.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launcherFlags } from './host-load.mjs';
import { recordResult } from './results.mjs';

const MINUTES = Number(process.env.BENCH_VOLUME_MINUTES ?? 4);
const INTERVAL = process.env.BENCH_VOLUME_INTERVAL ?? '1m';
const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(root, 'dist/src/cli.js');
const schema = JSON.parse(readFileSync(join(root, 'config-schema/twin-desired.schema.json'), 'utf8'));
const { SimulatedHub } = await import(new URL('../../dist/src/sim-hub/index.js', import.meta.url).href);

/** Which collector's priority an event travels at (Statistics events are the pipeline's). */
const COLLECTOR_OF = {
  ProcessCreate: 'Process', ProcessTerminate: 'Process', Login: 'Login', ConnectionCreate: 'NetworkActivity',
  ListeningPorts: 'NetworkActivity', Heartbeat: 'Heartbeat', SystemInformation: 'SystemInformation',
  DroppedEventsStatistics: 'Statistics', MessageStatistics: 'Statistics', OSBaseline: 'Baseline', SBoM: 'SBoM',
  LocalUsers: 'LocalUsers', FirewallConfiguration: 'FirewallConfiguration', ConnectedHardware: 'Peripheral',
};
const minutesOf = String(schema.properties.CollectorsCore_PriorityIntervals.default).split(',').map(Number);
const sendsPerHour = (name) => {
  const collector = COLLECTOR_OF[name];
  const frequency = (collector && schema.properties[`${collector}_MessageFrequency`]?.default) ?? 'Medium';
  return 60 / minutesOf[['High', 'Medium', 'Low'].indexOf(frequency)];
};

const hubDir = mkdtempSync(join(tmpdir(), 'bench-volume-hub-'));
const hub = await SimulatedHub.start({ stateDir: hubDir });
const identity = hub.createModule(`volume-${Date.now()}`);
const dir = mkdtempSync(join(tmpdir(), 'bench-volume-'));
writeFileSync(join(dir, 'cs.txt'), identity.connectionString, { mode: 0o600 });
writeFileSync(join(dir, 'config.json'), JSON.stringify({
  connectionStringFile: join(dir, 'cs.txt'), trustedCaFile: hub.caFile, stateDir: join(dir, 'state'), logLevel: 'warn',
  twinDefaults: { CollectorsCore_PriorityIntervals: `${INTERVAL},${INTERVAL},${INTERVAL}` },
}));
const agent = spawn(process.execPath, [...launcherFlags(cli), cli, 'run', '--config', join(dir, 'config.json')], { stdio: ['ignore', 'ignore', 'inherit'] });
await new Promise((r) => setTimeout(r, MINUTES * 60_000));
agent.kill('SIGTERM');
await new Promise((r) => agent.once('exit', r));

const perName = new Map();
for (const m of hub.messages({ deviceId: identity.deviceId })) {
  const events = JSON.parse(m.body.toString('utf8')).Events ?? [];
  const lengths = events.map((e) => JSON.stringify(e).length);
  const total = lengths.reduce((a, b) => a + b, 0) || 1;
  events.forEach((e, i) => {
    const entry = perName.get(e.Name) ?? { bytes: 0, events: 0 };
    entry.bytes += (m.size * lengths[i]) / total;
    entry.events += 1;
    perName.set(e.Name, entry);
  });
}
await hub.stop();
rmSync(dir, { recursive: true, force: true });
rmSync(hubDir, { recursive: true, force: true });

const sendsInRun = MINUTES / (parseInt(INTERVAL, 10) * (INTERVAL.endsWith('s') ? 1 / 60 : INTERVAL.endsWith('h') ? 60 : 1));
console.log(`\n### Bytes to the hub at the default priorities (idle host; intervals shortened to ${INTERVAL} for ${MINUTES} min)\n`);
console.log('| event | collector | default sends per hour | bytes per send (mean) | bytes per hour |');
console.log('| --- | --- | ---: | ---: | ---: |');
let hourly = 0;
const rows = [];
for (const [name, { bytes }] of [...perName].sort()) {
  const perSend = bytes / sendsInRun;
  const perHour = perSend * sendsPerHour(name);
  hourly += perHour;
  rows.push({ name, perSend, perHour });
  console.log(`| ${name} | ${COLLECTOR_OF[name] ?? '?'} | ${sendsPerHour(name).toFixed(3)} | ${Math.round(perSend)} | ${Math.round(perHour)} |`);
}
console.log(`\nabout ${Math.round(hourly).toLocaleString('en-US')} bytes per hour (${(hourly * 24 / 1024).toFixed(1)} KiB per day)`);
recordResult('hub-volume', { minutes: MINUTES, interval: INTERVAL, rows, bytesPerHour: hourly });
