import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SimulatedHub } from '../../src/sim-hub/index.js';
import { startChildAgent, type ChildAgent } from '../support/child-agent.js';
import { tally, waitUntil } from '../support/stream-tally.js';

/** Aggregated events wait for the hour-long interval: only the checkpoint can save them from a SIGKILL. */
const HOURLY = '1h,1h,1h';
const RATE = 2;
/** The checkpoint promise is 30 s; one more second covers the write itself and timer jitter. */
const WINDOW_MS = 31_000;

describe('an agent killed with SIGKILL while its events wait in the aggregators', () => {
  it('delivers after a restart every event produced more than 30 s before the kill', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sigkill-ckpt-'));
    const hub = await SimulatedHub.start({ stateDir: join(dir, 'hub') });
    const identity = hub.createModule('checkpoint-device');
    const stateDir = join(dir, 'agent');
    const children: ChildAgent[] = [];
    try {
      const first = startChildAgent(hub, identity, stateDir, 'ckpt1', { rate: RATE, intervals: HOURLY });
      children.push(first);
      // What the child had produced at each moment (its progress line is written after the events are emitted).
      const history: { at: number; unique: number }[] = [];
      const sampler = setInterval(() => history.push({ at: Date.now(), unique: first.produced().unique }), 50);
      try {
        await waitUntil(() => first.produced().unique >= 40 * RATE, 60_000, 'the child to run for about 40 s', 50);
      } finally {
        clearInterval(sampler);
      }
      const killAt = Date.now();
      await first.kill('SIGKILL');
      const producedAtKill = first.produced();
      const receivedBeforeKill = tally(hub.messages(), 'ckpt1');
      const mustSurvive = history.filter((h) => h.at <= killAt - WINDOW_MS).at(-1)?.unique ?? 0;
      expect(mustSurvive).toBeGreaterThan(10);
      // The first send came at start (random offset 0) before the stream had much; the rest waited for the hour.
      expect(receivedBeforeKill.seqs.size).toBeLessThan(mustSurvive / 2);

      const second = startChildAgent(hub, identity, stateDir, 'ckpt2', { rate: RATE, intervals: HOURLY });
      children.push(second);
      const missing = (): number[] => {
        const got = tally(hub.messages(), 'ckpt1').seqs;
        return Array.from({ length: mustSurvive }, (_, i) => i + 1).filter((s) => !got.has(s));
      };
      await waitUntil(() => missing().length === 0, 30_000, `ckpt1 events 1..${mustSurvive} at the hub`);
      const received = tally(hub.messages(), 'ckpt1');
      console.info(`[sigkill-checkpoint] produced ${producedAtKill.unique} unique events (${producedAtKill.produced} in all) before the kill; `
        + `${receivedBeforeKill.seqs.size} unique reached the hub before it; produced by kill-31 s: ${mustSurvive}; `
        + `after restart the hub has ${received.seqs.size} unique, ${received.hits} hits; lost: ${producedAtKill.produced - received.hits}`);
      expect(missing()).toEqual([]);
      // The repeated (merged) events keep their hit counts: at least one hit per unique event that must survive.
      expect([...received.repeated.values()].reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(mustSurvive);
      expect(received.hits).toBeLessThanOrEqual(producedAtKill.produced);
      expect(second.logs.some((l) => l['msg'] === 'pipeline: restored the events held at the last checkpoint')).toBe(true);
    } finally {
      for (const child of children) await child.kill('SIGKILL');
      await hub.stop();
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
