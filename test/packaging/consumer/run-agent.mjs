// Plain ESM JavaScript against the installed package: the root entry's exports, then an agent on the
// package's own simulated hub until a Heartbeat arrives. Prints one JSON line.
import * as root from 'iot-micro-agent';
import { SimulatedHub } from 'iot-micro-agent/sim-hub';

const { MicroAgent } = root;
const hub = await SimulatedHub.start({});
try {
  const { connectionString } = hub.createModule('consumer');
  let refused = '';
  try {
    new MicroAgent({});
  } catch (err) {
    refused = err instanceof root.UserInputError ? err.message : `not a UserInputError: ${err}`;
  }
  const agent = new MicroAgent({
    connectionString, ca: hub.caPem, builtInCollectors: ['Heartbeat'],
    twinDefaults: { CollectorsCore_PriorityIntervals: '1s,2s,3s', Heartbeat_MessageFrequency: 'High' },
  });
  await agent.start();
  const m = await hub.waitForMessage((msg) => msg.body.toString('utf8').includes('"Heartbeat"'), 30_000);
  await agent.stop();
  console.log(JSON.stringify({ exports: Object.keys(root).sort(), refused, heartbeatFrom: m.deviceId }));
} finally {
  await hub.stop();
}
