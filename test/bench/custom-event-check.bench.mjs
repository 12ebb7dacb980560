// What the emit-time check of a custom collector's event costs: events/s through a collector's sink with the
// event model check alone, and with the declared payload schema (the example gateway's) checked too.
// Run: npx tsc -p . && node test/bench/custom-event-check.bench.mjs   (imports the compiled code in dist/)
import { CollectorSinks } from '../../dist/src/collector-sink.js';
import { customEventCheck } from '../../dist/src/events/custom-event-schema.js';
import { defineCollector } from '../../dist/collectors/define-collector.js';
import { silentLogger } from '../../dist/src/log.js';
import { recordResult } from './results.mjs';

const RUNS = Number(process.env.RUNS ?? 5);
const N = 200_000;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const schema = {
  type: 'object', additionalProperties: false, required: ['DeviceId', 'Protocol', 'Address', 'FirmwareVersion', 'LastSeenUtc', 'Stale'],
  properties: {
    DeviceId: { type: 'string', minLength: 1, maxLength: 128 }, Protocol: { type: 'string', enum: ['modbus-tcp', 'opcua', 'ble'] },
    Address: { type: 'string', maxLength: 256 }, FirmwareVersion: { type: 'string', maxLength: 64 },
    LastSeenUtc: { type: 'string', format: 'date-time' }, Stale: { type: 'boolean' },
  },
};
const def = defineCollector({
  name: 'DownstreamDevices', event: { name: 'DownstreamDevice', category: 'Periodic', eventType: 'Security', payloadItemSchema: schema },
  create: () => ({ name: 'DownstreamDevices', async stop() {} }),
});
const events = Array.from({ length: N }, (_, i) => ({
  name: 'DownstreamDevice', category: 'Periodic', eventType: 'Security', time: 1_700_000_000_000 + i,
  payload: [{ DeviceId: `dev-${i}`, Protocol: 'opcua', Address: `10.0.${i % 250}.1`, FirmwareVersion: '1.4', LastSeenUtc: '2026-12-02T04:00:00.000Z', Stale: false }],
}));

function rate(withSchema) {
  let accepted = 0;
  const sinks = new CollectorSinks({ onEvent: () => { accepted++; }, eventChecks: withSchema ? { DownstreamDevices: customEventCheck(def) } : {} });
  const run = { accepts: () => true, firstRefusal: () => false, setError: () => undefined };
  const sink = sinks.make('DownstreamDevices', run, silentLogger());
  const t = process.hrtime.bigint();
  for (const e of events) sink.emit(e);
  const s = Number(process.hrtime.bigint() - t) / 1e9;
  if (accepted !== N) throw new Error(`accepted ${accepted} of ${N}`);
  return N / s;
}

const figures = {};
for (const [label, withSchema] of [['event model check only', false], ['plus the declared payload schema', true]]) {
  rate(withSchema); // warm-up
  figures[label] = Math.round(median(Array.from({ length: RUNS }, () => rate(withSchema))));
}
console.log(`| emit into a collector's sink (${N} events, median of ${RUNS}) | events/s |\n|---|---|`);
for (const [label, v] of Object.entries(figures)) console.log(`| ${label} | ${v.toLocaleString('en-US')} |`);
recordResult('custom-event-check', figures);
