// hub create-module --all-devices on 10,000 simulated devices: hub calls made and wall time, against the
// throttling floor (one bulk call per 100 devices). Runs the fleet code over HTTPS to the simulated hub.
// Run: npx tsc -p . && node test/bench/fleet-create.bench.mjs   (imports the compiled code in dist/)
import { SimulatedHub } from '../../dist/src/sim-hub/index.js';
import { createModules } from '../../dist/src/fleet/create-modules.js';
import { RegistryClient } from '../../dist/src/fleet/registry-client.js';
import { ServiceClient } from '../../dist/src/fleet/service-client.js';
import { parseServiceConnectionString } from '../../dist/src/fleet/service-connection.js';

const DEVICES = Number(process.env.DEVICES ?? 10_000);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
// IoT Hub S1/S2: 100 identity registry operations per minute per unit; a bulk call carries at most 100 devices.
const FLOOR_CALLS = Math.ceil(DEVICES / 100);
const S1_OPS_PER_MINUTE = 100;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const hub = await SimulatedHub.start({});
hub.service.seedDevices(DEVICES);
const connection = parseServiceConnectionString(hub.serviceConnectionString);
const runs = [];
for (let round = 0; round < ROUNDS; round++) {
  const service = new ServiceClient({ connection, trustedCa: hub.caPem });
  const registry = new RegistryClient(service);
  const t = performance.now();
  const result = await createModules({ registry, moduleId: `BenchModule${round}`, target: { where: undefined } });
  const ms = performance.now() - t;
  service.close();
  if (result.created !== DEVICES || result.failed.length > 0) throw new Error(`round ${round}: created ${result.created}, failed ${result.failed.length}`);
  const rerunService = new ServiceClient({ connection, trustedCa: hub.caPem });
  const rerun = new RegistryClient(rerunService);
  const r2 = performance.now();
  const again = await createModules({ registry: rerun, moduleId: `BenchModule${round}`, target: { where: undefined } });
  const rerunMs = performance.now() - r2;
  rerunService.close();
  if (again.created !== 0 || again.alreadyHad !== DEVICES) throw new Error(`round ${round}: rerun created ${again.created}`);
  runs.push({ ms, calls: service.stats.calls, bulk: registry.bulkCalls, pages: registry.queryPages, rerunMs, rerunCalls: rerunService.stats.calls });
}
const rss = process.memoryUsage().rss / 1024 / 1024;
console.log(`| create-module --all-devices, ${DEVICES} devices (${ROUNDS} rounds, node ${process.version}) | median | floor |`);
console.log('| --- | ---: | ---: |');
console.log(`| bulk registry calls | ${median(runs.map((r) => r.bulk))} | ${FLOOR_CALLS} |`);
console.log(`| query pages (devices + devices.modules) | ${median(runs.map((r) => r.pages))} | - |`);
console.log(`| hub calls in all | ${median(runs.map((r) => r.calls))} | - |`);
console.log(`| wall time against the simulated hub, s | ${(median(runs.map((r) => r.ms)) / 1000).toFixed(1)} | - |`);
console.log(`| time the bulk calls need at S1 (${S1_OPS_PER_MINUTE} ops/min, 1 unit), s | ${(median(runs.map((r) => r.bulk)) * 60 / S1_OPS_PER_MINUTE).toFixed(0)} | ${(FLOOR_CALLS * 60 / S1_OPS_PER_MINUTE).toFixed(0)} |`);
console.log(`| rerun (nothing to create): hub calls / wall time s | ${median(runs.map((r) => r.rerunCalls))} / ${(median(runs.map((r) => r.rerunMs)) / 1000).toFixed(1)} | 0 bulk |`);
console.log(`| process RSS after all rounds, MB | ${rss.toFixed(0)} | - |`);
await hub.stop();
process.exit(median(runs.map((r) => r.bulk)) === FLOOR_CALLS ? 0 : 1);
