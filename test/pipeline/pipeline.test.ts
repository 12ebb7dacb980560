import { describe, expect, it, vi } from 'vitest';
import { pino } from 'pino';
import { FakeClock } from '../support/fake-clock.js';
import { MemoryOutbox } from '../../src/outbox/memory-outbox.js';
import { Pipeline } from '../../src/pipeline/pipeline.js';
import { startDelay, type CollectorSchedule } from '../../src/pipeline/priority-schedule.js';
import type { SecurityMessage } from '../../src/events/envelope.js';
import type { CollectedEvent } from '../../src/events/event.js';

const agent = { agentId: '9c647395-b913-4997-a732-a7fe7303b649', agentVersion: '0.1.0' };
const MIN = 60_000;
const intervals = { High: 30 * MIN, Medium: 120 * MIN, Low: 1440 * MIN };

function ev(name: string, key: string | undefined, time: number): CollectedEvent {
  return {
    name, category: 'Triggered', eventType: 'Security', time,
    payload: [{ Executable: '/bin/sh', ProcessId: 1, ParentProcessId: 0, UserId: '0', CommandLine: key ?? 'x' }],
    ...(key === undefined ? {} : { aggregationKey: key }),
  };
}

function setup(opts: { random?: () => number; beforeSend?: (names: string[]) => Promise<void> } = {}) {
  const clock = new FakeClock();
  const warnings: string[] = [];
  const log = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(String((JSON.parse(line) as { msg: string }).msg)) });
  const outbox = new MemoryOutbox({ clock, log, messageTimeoutMs: 2880 * MIN });
  const pipeline = new Pipeline({ clock, log, outbox, agent, random: opts.random ?? (() => 0), ...(opts.beforeSend ? { beforeSend: opts.beforeSend } : {}) });
  const sent = async (): Promise<SecurityMessage[]> => {
    const out: SecurityMessage[] = [];
    for (let m = await outbox.peek(); m !== undefined; m = await outbox.peek()) {
      out.push(JSON.parse(m.body.toString('utf8')) as SecurityMessage);
      await outbox.ack(m.seq);
    }
    return out;
  };
  return { clock, outbox, pipeline, warnings, sent };
}

const collectors: CollectorSchedule[] = [
  { name: 'Process', frequency: 'High', cacheSize: 256 },
  { name: 'Login', frequency: 'Medium', cacheSize: 256 },
];

describe('Pipeline', () => {
  it('sends each collector at the interval of its message frequency', async () => {
    const { clock, pipeline, sent } = setup({ random: () => 0.5 });
    pipeline.configure(intervals, collectors);
    // First sends: offset 0.5 * min(interval, 30 s) = 15 s for every priority.
    await clock.advance(15_000);
    expect(await sent()).toEqual([]);
    pipeline.ingest('Process', ev('ProcessCreate', 'ls', clock.now()));
    pipeline.ingest('Login', ev('Login', 'root', clock.now()));
    await clock.advance(30 * MIN - 1);
    expect(await sent()).toEqual([]);
    await clock.advance(1);
    const high = await sent();
    expect(high.flatMap((m) => m.Events.map((e) => e.Name))).toEqual(['ProcessCreate']);
    await clock.advance(90 * MIN);
    expect((await sent()).flatMap((m) => m.Events.map((e) => e.Name))).toEqual(['Login']);
  });

  it('offsets the first send by a random delay bounded by min(interval, 30 s)', async () => {
    expect(startDelay(30 * MIN, () => 0, 30_000)).toBe(0);
    expect(startDelay(30 * MIN, () => 0.999999, 30_000)).toBeLessThan(30_000);
    expect(startDelay(30 * MIN, () => 0.999999, 30_000)).toBeGreaterThan(29_000);
    expect(startDelay(10_000, () => 0.999999, 30_000)).toBeLessThan(10_000);
    expect(startDelay(10_000, () => 7, 30_000)).toBeLessThan(10_000);
    const { clock, pipeline } = setup({ random: () => 0.25 });
    const t0 = clock.now();
    pipeline.configure({ High: 20_000, Medium: 60_000, Low: 600_000 }, collectors);
    expect(pipeline.stats().nextSendAt).toEqual({ High: t0 + 5_000, Medium: t0 + 7_500, Low: t0 + 7_500 });
    await clock.advance(5_000);
    expect(pipeline.stats().nextSendAt.High).toBe(t0 + 25_000);
  });

  it('keeps the phase of priorities whose interval did not change on reconfigure', async () => {
    const { clock, pipeline } = setup({ random: () => 0.5 });
    pipeline.configure(intervals, collectors);
    await clock.advance(60_000);
    const before = pipeline.stats().nextSendAt;
    pipeline.configure({ ...intervals, Low: 60 * MIN }, collectors);
    const after = pipeline.stats().nextSendAt;
    expect(after.High).toBe(before.High);
    expect(after.Low).toBe(clock.now() + 15_000);
  });

  it('flush packs everything pending into the outbox before a new configuration is applied', async () => {
    const { clock, pipeline, sent, outbox } = setup();
    pipeline.configure(intervals, collectors);
    pipeline.ingest('Process', ev('ProcessCreate', 'a', clock.now()));
    pipeline.ingest('Login', ev('Login', 'b', clock.now()));
    pipeline.ingest('Unscheduled', ev('ProcessCreate', undefined, clock.now()));
    await pipeline.flush();
    expect(outbox.pending).toBe(1);
    pipeline.configure(intervals, [{ name: 'Process', frequency: 'Low', cacheSize: 10 }]);
    expect((await sent())[0]?.Events.map((e) => e.Name)).toEqual(['ProcessCreate', 'Login', 'ProcessCreate']);
    expect(pipeline.stats().collectors['Login']).toBeUndefined();
  });

  it('flush takes what is pending at the call: events arriving while it waits behind a slow send leave in a later message', async () => {
    let release = (): void => undefined;
    const slow = new Promise<void>((resolve) => { release = resolve; });
    const { clock, pipeline, sent } = setup({ beforeSend: () => slow });
    pipeline.configure({ High: 1000, Medium: 5000, Low: 100_000 }, collectors);
    await clock.advance(0); // a periodic send is now waiting for its snapshot collectors
    pipeline.ingest('Process', ev('ProcessCreate', 'before', clock.now()));
    const flushed = pipeline.flush();
    pipeline.ingest('Process', ev('ProcessCreate', 'after', clock.now()));
    release();
    await flushed;
    await pipeline.flush();
    const messages = (await sent()).map((m) => m.Events.map((e) => e.Payload[0]?.['CommandLine']));
    expect(messages).toContainEqual(['before']);
    expect(messages.flat().filter((c) => c === 'after')).toEqual(['after']);
  });

  it('aggregates identical events into one with a hit count on the wire', async () => {
    const { clock, pipeline, sent } = setup();
    pipeline.configure(intervals, collectors);
    for (let i = 0; i < 1000; i++) pipeline.ingest('Process', ev('ProcessCreate', `k${i % 3}`, clock.now() + i));
    await pipeline.flush();
    const events = (await sent()).flatMap((m) => m.Events);
    expect(events.map((e) => e.Payload[0]?.['ExtraDetails'])).toEqual([
      expect.objectContaining({ HitCount: '334' }), expect.objectContaining({ HitCount: '333' }), expect.objectContaining({ HitCount: '333' }),
    ]);
    expect(events.every((e) => e.Category === 'Triggered')).toBe(true);
  });

  it('sends a full cache at once, keeps the oldest events of a burst, and warns once per interval about what a pending send made it drop', async () => {
    const { clock, pipeline, warnings, sent } = setup();
    pipeline.configure(intervals, [{ name: 'Process', frequency: 'High', cacheSize: 2 }]);
    // Ten events in one synchronous burst: k0 and k1 leave at once; while they are on their way the cache drops its oldest.
    for (let i = 0; i < 10; i++) pipeline.ingest('Process', ev('ProcessCreate', `k${i}`, clock.now()));
    await pipeline.whenIdle();
    const early = (await sent()).flatMap((m) => m.Events.map((e) => e.Payload[0]?.['CommandLine']));
    expect(early).toEqual(['k0', 'k1']);
    expect(warnings).toEqual([]);
    await clock.advance(30 * MIN);
    expect((await sent()).flatMap((m) => m.Events.map((e) => e.Payload[0]?.['CommandLine']))).toEqual(['k8', 'k9']);
    expect(warnings.filter((w) => w.includes('cache full'))).toEqual([
      'Process: cache full, dropped 6 oldest events this interval; consider raising Process_CacheSize',
    ]);
    expect(pipeline.stats().collectors['Process']).toMatchObject({ collected: 10, dropped: 6, pending: 0 });
  });

  it('sends a message\'s worth of events without waiting for the interval, and nothing is dropped when events arrive one by one', async () => {
    const { clock, pipeline, sent } = setup();
    pipeline.configure(intervals, [{ name: 'Process', frequency: 'Low', cacheSize: 65_536 }]);
    const long = 'x'.repeat(4_000);
    let n = 0;
    // ~4.3 KB each: about 60 fill a message, long before the 24 h Low interval.
    for (; n < 200; n++) {
      pipeline.ingest('Process', ev('ProcessCreate', `${long} ${n}`, clock.now()));
      await pipeline.whenIdle();
    }
    const messages = await sent();
    expect(messages.length).toBeGreaterThanOrEqual(3);
    const lines = messages.flatMap((m) => m.Events.map((e) => String(e.Payload[0]?.['CommandLine'])));
    expect(lines.slice(0, 3)).toEqual([`${long} 0`, `${long} 1`, `${long} 2`]);
    for (const m of messages) expect(Buffer.byteLength(JSON.stringify(m))).toBeLessThanOrEqual(262_144 - 4_096);
    expect(pipeline.stats().collectors['Process']).toMatchObject({ collected: 200, dropped: 0 });
    await pipeline.stop();
    const all = [...lines, ...(await sent()).flatMap((m) => m.Events.map((e) => String(e.Payload[0]?.['CommandLine'])))];
    expect(all).toEqual(Array.from({ length: 200 }, (_, i) => `${long} ${i}`));
  });

  it('caps maxMessageBytes at IoT Hub\'s 256 KB (body plus properties) with a warning', async () => {
    const clock = new FakeClock();
    const warnings: string[] = [];
    const log = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(String((JSON.parse(line) as { msg: string }).msg)) });
    const outbox = new MemoryOutbox({ clock, log, messageTimeoutMs: 2880 * MIN });
    const pipeline = new Pipeline({ clock, log, outbox, agent, random: () => 0, maxMessageBytes: 1_000_000 });
    expect(warnings).toEqual(["pipeline: maxMessageBytes is over IoT Hub's limit; using 262144"]);
    pipeline.configure(intervals, [{ name: 'Process', frequency: 'High', cacheSize: 1000 }]);
    for (let i = 0; i < 300; i++) pipeline.ingest('Process', ev('ProcessCreate', `${'y'.repeat(2_000)} ${i}`, clock.now()));
    await pipeline.stop();
    let events = 0;
    for (let m = await outbox.peek(); m !== undefined; m = await outbox.peek()) {
      expect(m.body.length).toBeLessThanOrEqual(262_144 - 4_096);
      events += (JSON.parse(m.body.toString('utf8')) as SecurityMessage).Events.length;
      await outbox.ack(m.seq);
    }
    expect(events).toBe(300);
  });

  it('runs beforeSend with the collectors of the priority before their events leave', async () => {
    const calls: string[][] = [];
    const { clock, pipeline, sent } = setup({
      beforeSend: async (names) => {
        calls.push(names);
        for (const n of names) if (n === 'Login') pipeline.ingest('Login', ev('Login', 'snap', clock.now()));
      },
    });
    pipeline.configure({ High: 1000, Medium: 5000, Low: 100_000 }, collectors);
    await clock.advance(0);
    expect(calls).toEqual([['Process'], ['Login']]);
    expect((await sent()).flatMap((m) => m.Events.map((e) => e.Name))).toEqual(['Login']);
  });

  it('stop flushes, cancels its timers, is idempotent and safe without configure', async () => {
    const a = setup();
    await a.pipeline.stop();
    await a.pipeline.stop();
    const { clock, pipeline, outbox } = setup();
    pipeline.configure(intervals, collectors);
    pipeline.ingest('Process', ev('ProcessCreate', 'a', clock.now()));
    const spy = vi.spyOn(outbox, 'append');
    await Promise.all([pipeline.stop(), pipeline.stop()]);
    expect(spy).toHaveBeenCalledTimes(1);
    expect(clock.pending()).toBe(0);
    pipeline.ingest('Process', ev('ProcessCreate', 'b', clock.now()));
    expect(pipeline.stats().collectors['Process']?.pending).toBe(0);
  });

  it('rejects intervals that are not positive', () => {
    const { pipeline } = setup();
    expect(() => pipeline.configure({ High: 0, Medium: 1, Low: 1 }, collectors)).toThrow(RangeError);
  });
});
