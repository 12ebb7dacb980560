import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SimulatedHub } from '../../src/sim-hub/index.js';
import { startChildAgent, type ChildAgent } from '../support/child-agent.js';
import { tally, waitUntil } from '../support/stream-tally.js';

describe('an agent stopped with SIGTERM mid-stream', () => {
  it('loses no event: everything produced before the signal reaches the hub once it is restarted', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sigterm-'));
    const hub = await SimulatedHub.start({ stateDir: join(dir, 'hub') });
    const identity = hub.createModule('sigterm-device');
    const stateDir = join(dir, 'agent');
    const children: ChildAgent[] = [];
    try {
      const first = startChildAgent(hub, identity, stateDir, 'term1');
      children.push(first);
      await waitUntil(() => tally(hub.messages(), 'term1').hits > 0, 30_000, 'the first delivery');
      // The hub goes away: what follows piles up in the aggregator and the outbox while the stream goes on.
      hub.refuseAuth(true);
      hub.dropAllConnections();
      const atOutage = first.produced().produced;
      await waitUntil(() => first.produced().produced >= atOutage + 80, 30_000, 'a second of stream during the outage');
      await first.kill('SIGTERM');
      expect(first.process.exitCode).toBe(0);
      const produced = first.produced().produced;
      const beforeRestart = tally(hub.messages(), 'term1').hits;

      hub.refuseAuth(false);
      const second = startChildAgent(hub, identity, stateDir, 'term2');
      children.push(second);
      await waitUntil(() => tally(hub.messages(), 'term1').hits >= produced, 60_000, 'every event produced before SIGTERM');
      const received = tally(hub.messages(), 'term1');
      console.info(`[sigterm] produced ${produced} events before SIGTERM; ${beforeRestart} at the hub before the restart, ${received.hits} after it`);
      expect(received.hits).toBe(produced);
      expect(beforeRestart).toBeLessThan(produced);
    } finally {
      for (const child of children) await child.kill('SIGKILL');
      await hub.stop();
      await rm(dir, { recursive: true, force: true });
    }
  }, 150_000);
});
