import { describe, expect, it } from 'vitest';
import { builtInCollectors } from '../../collectors/registry.js';
import type { CollectorFactory } from '../../src/index.js';
import { eventsOf, startRig } from '../support/agent-harness.js';
import { FakeClock } from '../support/fake-clock.js';
import { FreezableProxy, viaPort } from '../support/tcp-proxy.js';
import { sleep, waitUntil } from '../support/twin-push.js';

/** Agent time per step while driving the fake clock. */
const STEP_MS = 100;

describe('start() and stop() under faults', () => {
  it('stop() during start() releases what start opened: the collector is stopped, start rejects, the hub is never reached', async () => {
    const rig = await startRig({}, { startAgent: false });
    const calls: string[] = [];
    let startEntered: () => void = () => undefined;
    const entered = new Promise<void>((resolve) => {
      startEntered = resolve;
    });
    const slowStart: CollectorFactory = () => ({
      name: 'SlowStart',
      start() {
        calls.push('start');
        startEntered();
        return new Promise<void>(() => undefined); // a device that never answers
      },
      async stop() {
        calls.push('stop');
      },
    });
    const agent = rig.makeAgent({ collectors: { ...builtInCollectors, SlowStart: slowStart }, collectTimeoutMs: 60_000 });
    const starting = agent.start();
    const startOutcome = starting.then(() => 'resolved', (err: unknown) => (err as Error).name);
    await entered;
    await agent.stop();
    expect(await startOutcome).toBe('StoppedError');
    expect(calls).toEqual(['start', 'stop']);
    await agent.stop(); // idempotent
    // A second module on the same hub connects and reports: had the first started its link, it would be there too.
    const other = rig.hub.createModule('other-device');
    const second = rig.makeAgent({ connectionString: other.connectionString, stateDir: `${rig.dir}/other` });
    await second.start();
    await rig.hub.waitForReported(other.deviceId, other.moduleId, (r) => r['latest_state'] === 'success', 30_000);
    expect(rig.hub.connectedClients()).toEqual([`${other.deviceId}/${other.moduleId}`]);
  }, 60_000);

  it('a failed start() leaves nothing behind: stop() is safe and a new agent starts on the same state dir', async () => {
    const rig = await startRig({}, { startAgent: false });
    const bad = rig.makeAgent({ twinDefaults: { Heartbeat_MessageFrequency: 'hourly' } });
    await expect(bad.start()).rejects.toMatchObject({ name: 'UserInputError' });
    await bad.stop();
    await expect(bad.start()).rejects.toMatchObject({ name: 'UserInputError' }); // the same answer, no second attempt
    const good = rig.makeAgent();
    await good.start();
    await rig.hub.waitForReported(rig.identity.deviceId, rig.identity.moduleId, (r) => r['latest_state'] === 'success', 30_000);
  }, 60_000);

  it('stop() returns within 10 s of agent time on a half-open connection with a message in flight, and drops the socket', async () => {
    const rig = await startRig({}, { startAgent: false });
    const proxy = await FreezableProxy.start(rig.hub.port);
    // The agent's every timer runs on the shared fake clock, so "within 10 s" is counted in its own time, not the machine's.
    const clock = new FakeClock(Date.now());
    /** Moves agent time on in small steps until `done`, giving real I/O a turn between steps; returns the agent time used. */
    const drive = async (done: () => boolean, maxMs: number): Promise<number> => {
      let used = 0;
      while (!done()) {
        if (used >= maxMs) throw new Error(`not done after ${maxMs} ms of agent time`);
        await clock.advance(STEP_MS);
        used += STEP_MS;
        await sleep(20);
      }
      return used;
    };
    try {
      const agent = rig.makeAgent({ clock, connectionString: viaPort(rig.identity.connectionString, proxy.port) });
      await agent.start();
      const { hub, identity } = rig;
      await hub.waitForReported(identity.deviceId, identity.moduleId, (r) => r['latest_state'] === 'success', 30_000);
      await drive(() => hub.messages().some((m) => eventsOf(m.body).some((e) => e.Name === 'Heartbeat')), 120_000);
      proxy.freeze();
      // A heartbeat leaves every second of agent time: wait until one is out that the hub never gets, or whose acknowledgement never comes back.
      await drive(() => proxy.heldFromClient > 200 || proxy.heldFromHub > 0, 120_000);
      let stopped = false;
      const stopping = agent.stop().then(() => {
        stopped = true;
      });
      const used = await drive(() => stopped, 60_000);
      await stopping;
      console.log(`stop() on a half-open connection returned after ${used} ms of agent time`);
      expect(used).toBeLessThanOrEqual(10_000);
      await waitUntil(() => proxy.openClients() === 0, 10_000);
    } finally {
      await proxy.close();
    }
  }, 180_000);
});
