import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { builtInCollectors, type CollectorFactory } from '../../src/index.js';
import { eventsOf, startRig } from '../support/agent-harness.js';
import { FreezableProxy, viaPort } from '../support/tcp-proxy.js';
import { waitUntil } from '../support/twin-push.js';

/** Rejects when `p` has not settled within `ms`: the contract under test is a bound, not a speed. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_r, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not return within ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

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
    await within(agent.stop(), 10_000, 'stop()');
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

  it('stop() returns within 10 s on a half-open connection with a message in flight, and drops the socket', async () => {
    const rig = await startRig({}, { startAgent: false });
    const proxy = await FreezableProxy.start(rig.hub.port);
    try {
      const agent = rig.makeAgent({ connectionString: viaPort(rig.identity.connectionString, proxy.port) });
      await agent.start();
      const { hub, identity } = rig;
      await hub.waitForReported(identity.deviceId, identity.moduleId, (r) => r['latest_state'] === 'success', 30_000);
      await hub.waitForMessage((m) => eventsOf(m.body).some((e) => e.Name === 'Heartbeat'), 30_000);
      proxy.freeze();
      // Heartbeats leave every second: wait until one is out that the hub never gets, or whose acknowledgement never comes back.
      await waitUntil(() => proxy.heldFromClient > 200 || proxy.heldFromHub > 0, 30_000);
      const t0 = performance.now();
      await within(agent.stop(), 10_000, 'stop()');
      console.log(`stop() on a half-open connection returned after ${(performance.now() - t0).toFixed(0)} ms`);
      await waitUntil(() => proxy.openClients() === 0, 5_000);
    } finally {
      await proxy.close();
    }
  }, 90_000);
});
