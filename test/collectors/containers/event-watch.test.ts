import { describe, expect, it } from 'vitest';
import { EventWatch, type WatchState } from '../../../collectors/containers/event-watch.js';
import { silentLogger } from '../../../src/log.js';
import { FakeClock } from '../../support/fake-clock.js';

describe('the container event watch without a socket', () => {
  it('looks again with the project backoff, doubling to its cap, and only ever says it is waiting', async () => {
    const clock = new FakeClock();
    const looks: number[] = [];
    const states: WatchState[] = [];
    const watch = new EventWatch({
      clock, log: silentLogger(), random: () => 1, backoff: { initialMs: 1_000, maxMs: 8_000 },
      resolveSocket: async () => {
        looks.push(clock.now());
        return undefined;
      },
      missingDetail: () => 'no socket at /x.sock', onEvent: () => {}, onState: (s) => states.push(s),
    });
    watch.start();
    await clock.advance(40_000);
    const gaps = looks.slice(1).map((t, i) => t - (looks[i] ?? 0));
    expect(gaps.slice(0, 6)).toEqual([1_000, 2_000, 4_000, 8_000, 8_000, 8_000]);
    expect(new Set(states.map((s) => s.kind))).toEqual(new Set(['waiting']));
    await watch.stop();
    const seen = looks.length;
    await clock.advance(60_000);
    expect(looks.length).toBe(seen);
    expect(clock.pending()).toBe(0);
  });
});
