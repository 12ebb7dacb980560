import { describe, expect, it } from 'vitest';
import { builtInCollectors } from '../../collectors/registry.js';
import type { CollectorFactory } from '../../src/index.js';
import type { SecurityMessage } from '../../src/events/envelope.js';
import { eventsOf, startRig } from '../support/agent-harness.js';
import { officialProblems } from '../support/official-conformance.js';

describe('a gateway embedding the agent with a collector of its own', () => {
  it('sends the custom collector\'s events next to the built-in ones', async () => {
    const doorSensor: CollectorFactory = ({ clock }) => ({
      name: 'DoorSensor',
      async collect(out) {
        out.emit({ name: 'ConnectedHardware', category: 'Periodic', eventType: 'Security', time: clock.now(), payload: [{ HardwareCategory: 'Input', HardwareSubCategory: 'Sensor', HardwareName: 'door sensor' }] });
      },
      async stop() {},
    });
    const rig = await startRig({ collectors: { ...builtInCollectors, DoorSensor: doorSensor } });
    const { hub, identity } = rig;
    const reported = await hub.waitForReported(identity.deviceId, identity.moduleId, (r) => r['latest_state'] === 'success', 10_000);
    expect(reported['collectors']).toMatchObject({ DoorSensor: { state: 'running' } });
    const m = await hub.waitForMessage((msg) => eventsOf(msg.body).some((e) => e.Name === 'ConnectedHardware'), 10_000);
    expect(officialProblems(JSON.parse(m.body.toString('utf8')) as SecurityMessage)).toEqual([]);
  });
});
