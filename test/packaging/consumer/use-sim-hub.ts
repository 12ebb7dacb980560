// A gateway's own test against the simulated hub from the installed package (type-checked, never run).
import { SimulatedHub, type CapturedMessage } from 'iot-micro-agent/sim-hub';
import { MicroAgent } from 'iot-micro-agent';

export async function firstMessage(): Promise<CapturedMessage> {
  const hub = await SimulatedHub.start({});
  const { connectionString } = hub.createModule('gw');
  const agent = new MicroAgent({ connectionString, ca: hub.caPem });
  await agent.start();
  const m = await hub.waitForMessage(() => true);
  await agent.stop();
  await hub.stop();
  return m;
}
