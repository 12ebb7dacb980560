// Twin round trip: desired push -> the agent's reported answer, through the simulated hub over TLS.
// Run: npx tsc -p . && node test/bench/twin-latency.bench.mjs   (imports the compiled code in dist/)
import { SimulatedHub } from '../../dist/src/sim-hub/index.js';
import { createTunedAgent } from '../../dist/src/tuned-agent.js';

const ROUNDS = Number(process.env.ROUNDS ?? 21);
const M = 'DefenderIotMicroAgent';
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const hub = await SimulatedHub.start({});
const { connectionString } = hub.createModule('bench');
const agent = createTunedAgent({
  connectionString, ca: hub.caPem, random: () => 0,
  twinDefaults: { CollectorsCore_PriorityIntervals: '1s,2s,3s', Process_Disabled: true, Login_Disabled: true, NetworkActivity_Disabled: true },
});
await agent.start();
await hub.waitForReported('bench', M, (r) => r.latest_state === 'success', 10_000);

async function roundTrip(patch) {
  const before = hub.getTwin('bench', M).reported.$version;
  const t = performance.now();
  hub.patchDesired('bench', M, patch);
  const r = await hub.waitForReported('bench', M, (rep) => rep.$version > before, 5_000);
  return { ms: performance.now() - t, state: r.latest_state };
}

const valid = [];
const invalid = [];
for (let i = 0; i < ROUNDS; i++) {
  const ok = await roundTrip({ Login_CacheSize: 100 + i });
  if (ok.state !== 'success') throw new Error(`expected success, got ${ok.state}`);
  valid.push(ok.ms);
  const bad = await roundTrip({ Process_Mode: 9 });
  if (bad.state !== 'failed') throw new Error(`expected failed, got ${bad.state}`);
  invalid.push(bad.ms);
  await roundTrip({ Process_Mode: null });
}
console.log(`| desired push -> reported answer (${ROUNDS} rounds, node ${process.version}) | median ms | max ms | target |`);
console.log('| --- | ---: | ---: | ---: |');
console.log(`| valid patch -> success | ${median(valid).toFixed(1)} | ${Math.max(...valid).toFixed(1)} | < 2000 |`);
console.log(`| invalid patch -> failed + latest_invalid_fields | ${median(invalid).toFixed(1)} | ${Math.max(...invalid).toFixed(1)} | < 2000 |`);
await agent.stop();
await hub.stop();
process.exit(Math.max(...valid, ...invalid) < 2000 ? 0 : 1);
