import { describe, expect, it } from 'vitest';
import { Aggregator } from '../../src/pipeline/aggregator.js';
import type { CollectedEvent } from '../../src/events/event.js';

const T0 = Date.UTC(2026, 0, 1, 12);

function proc(cmd: string, time: number, keyed = true): CollectedEvent {
  return {
    name: 'ProcessCreate',
    category: 'Triggered',
    eventType: 'Security',
    time,
    payload: [{ Executable: '/bin/sh', ProcessId: 1, ParentProcessId: 0, UserId: '0', CommandLine: cmd, ExtraDetails: { Hash: 'abc' } }],
    ...(keyed ? { aggregationKey: `cmd:${cmd}` } : {}),
  };
}

describe('Aggregator', () => {
  it('merges identical events into one with a hit count and first and last time', () => {
    const agg = new Aggregator('Process', 256);
    agg.add(proc('ls', T0 + 1000));
    agg.add(proc('ls', T0));
    agg.add(proc('ls', T0 + 5000));
    agg.add(proc('ps', T0 + 2000));
    const out = agg.drain();
    expect(out).toHaveLength(2);
    const ls = out[0];
    expect(ls?.category).toBe('Triggered');
    expect(ls?.payload[0]?.['ExtraDetails']).toEqual({
      Hash: 'abc',
      HitCount: '3',
      StartTimeUtc: new Date(T0).toISOString(),
      EndTimeUtc: new Date(T0 + 5000).toISOString(),
    });
    expect(ls?.time).toBe(T0);
    expect(out[1]?.payload[0]?.['ExtraDetails']).toMatchObject({ HitCount: '1' });
    expect(agg.collected).toBe(4);
    expect(agg.size).toBe(0);
  });

  it('never merges events without an aggregation key and leaves them unchanged', () => {
    const agg = new Aggregator('Heartbeat', 256);
    const e = proc('same', T0, false);
    agg.add(e);
    agg.add(e);
    const out = agg.drain();
    expect(out).toHaveLength(2);
    expect(out[0]).toBe(e);
  });

  it('does not modify the payload objects the collector emitted', () => {
    const agg = new Aggregator('Process', 256);
    const e = proc('ls', T0);
    agg.add(e);
    agg.drain();
    expect(e.payload[0]?.['ExtraDetails']).toEqual({ Hash: 'abc' });
  });

  it('drops the oldest event when the cache is full and counts it', () => {
    const agg = new Aggregator('Process', 3);
    for (const cmd of ['a', 'b', 'c', 'd', 'e']) agg.add(proc(cmd, T0));
    agg.add(proc('c', T0)); // a hit on a cached event drops nothing
    expect(agg.dropped).toBe(2);
    expect(agg.takeDroppedSinceWarning()).toBe(2);
    expect(agg.takeDroppedSinceWarning()).toBe(0);
    expect(agg.drain().map((e) => e.payload[0]?.['CommandLine'])).toEqual(['c', 'd', 'e']);
  });

  it('drops the oldest events at once when the cache shrinks', () => {
    const agg = new Aggregator('Process', 4);
    for (const cmd of ['a', 'b', 'c', 'd']) agg.add(proc(cmd, T0));
    agg.setCacheSize(2);
    expect(agg.dropped).toBe(2);
    expect(agg.drain().map((e) => e.payload[0]?.['CommandLine'])).toEqual(['c', 'd']);
  });
});
