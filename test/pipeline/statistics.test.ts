import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { FakeClock } from '../support/fake-clock.js';
import { messageValidator } from '../../src/events/message-schema.js';
import { MemoryOutbox } from '../../src/outbox/memory-outbox.js';
import { Pipeline } from '../../src/pipeline/pipeline.js';
import { StatisticsReporter } from '../../src/pipeline/statistics.js';
import { buildMessage, toWireEvent, type SecurityMessage } from '../../src/events/envelope.js';

const agent = { agentId: '9c647395-b913-4997-a732-a7fe7303b649', agentVersion: '0.1.0' };
const MIN = 60_000;

describe('statistics events', () => {
  it('count per period, per collector, mapping Medium and Low to the Low queue', () => {
    const r = new StatisticsReporter();
    const totals = { sent: 5, sentUnder4KB: 2, failed: 1, droppedBySize: 0, droppedByAge: 3, corruptSkipped: 0, deadLettered: 0, unreadableSkipped: 0, eventsTruncated: 0, eventsDroppedOversize: 0 };
    r.report([{ collector: 'Process', frequency: 'Medium', collected: 10, dropped: 1 }], totals, 0);
    const [dropped, messages] = r.report([{ collector: 'Process', frequency: 'Medium', collected: 25, dropped: 1 }], { ...totals, sent: 9 }, 1);
    expect(dropped?.payload).toEqual([{ Queue: 'Low', CollectedEvents: 15, DroppedEvents: 0, ExtraDetails: { Collector: 'Process', MessageFrequency: 'Medium' } }]);
    expect(messages?.payload[0]).toMatchObject({ MessagesSent: 4, MessagesUnder4KB: 0, TotalFailed: 0 });
  });

  it('tell of losses at a collector\'s source (kernel buffer overflows) per period, apart from DroppedEvents', () => {
    const r = new StatisticsReporter();
    const totals = { sent: 0, sentUnder4KB: 0, failed: 0, droppedBySize: 0, droppedByAge: 0, corruptSkipped: 0, deadLettered: 0, unreadableSkipped: 0, eventsTruncated: 0, eventsDroppedOversize: 0 };
    const period = (sourceOverflows: number) => r.report([{ collector: 'Process', frequency: 'High', collected: 0, dropped: 0, sourceOverflows }], totals, 0)[0]?.payload[0];
    expect(period(2)).toEqual({ Queue: 'High', CollectedEvents: 0, DroppedEvents: 0, ExtraDetails: { Collector: 'Process', MessageFrequency: 'High', SourceOverflows: '2' } });
    expect(period(5)?.['ExtraDetails']).toMatchObject({ SourceOverflows: '3' });
    expect(period(5)?.['ExtraDetails']).toEqual({ Collector: 'Process', MessageFrequency: 'High' });
    // the collector restarted (a configuration change) and counts from 0: its count since is this period's
    expect(period(1)?.['ExtraDetails']).toMatchObject({ SourceOverflows: '1' });
  });

  it('validate against the official schemas (the repository\'s copies, equal to the official files per conformance.test.ts)', async () => {
    const official = messageValidator();
    const clock = new FakeClock();
    const log = pino({ level: 'silent' });
    const outbox = new MemoryOutbox({ clock, log, messageTimeoutMs: 2880 * MIN });
    const delivery = { stats: () => ({ sent: 7, sentUnder4KB: 3, failed: 2, deadLettered: 0, state: 'idle' as const }) };
    const pipeline = new Pipeline({ clock, log, outbox, agent, random: () => 0, delivery, sourceOverflows: (name) => (name === 'Process' ? 4 : 0) });
    pipeline.configure({ High: MIN, Medium: 2 * MIN, Low: 4 * MIN }, [
      { name: 'Process', frequency: 'High', cacheSize: 1 },
      { name: 'Login', frequency: 'Medium', cacheSize: 256 },
      { name: 'Statistics', frequency: 'Low', cacheSize: 256 },
    ]);
    for (const k of ['a', 'b', 'c']) {
      pipeline.ingest('Process', { name: 'ProcessCreate', category: 'Triggered', eventType: 'Security', time: clock.now(), aggregationKey: k,
        payload: [{ Executable: '/bin/sh', ProcessId: 1, ParentProcessId: 0, UserId: '0', CommandLine: k }] });
    }
    await clock.advance(0);
    const messages: SecurityMessage[] = [];
    for (let m = await outbox.peek(); m !== undefined; m = await outbox.peek()) {
      messages.push(JSON.parse(m.body.toString('utf8')) as SecurityMessage);
      await outbox.ack(m.seq);
    }
    const events = messages.flatMap((m) => m.Events);
    const stats = events.filter((e) => e.Name.endsWith('Statistics'));
    expect(stats.map((e) => e.Name)).toEqual(['DroppedEventsStatistics', 'MessageStatistics']);
    expect(stats[0]?.Payload).toContainEqual({ Queue: 'High', CollectedEvents: 3, DroppedEvents: 1, ExtraDetails: { Collector: 'Process', MessageFrequency: 'High', SourceOverflows: '4' } });
    expect(stats[0]?.Payload).toContainEqual(expect.objectContaining({ Queue: 'Low', CollectedEvents: 0, ExtraDetails: { Collector: 'Login', MessageFrequency: 'Medium' } }));
    expect(stats[1]?.Payload[0]).toMatchObject({ MessagesSent: 7, MessagesUnder4KB: 3, TotalFailed: 2 });
    // Aggregated security events validate unchanged too (ExtraDetails is a string map).
    for (const m of messages) expect(official.validate(m)).toEqual([]);
    // The validator is not a rubber stamp: Queue outside the enum fails.
    const bad = toWireEvent({ name: 'DroppedEventsStatistics', category: 'Periodic', eventType: 'Operational', time: 0, payload: [{ Queue: 'Medium', CollectedEvents: 1, DroppedEvents: 0 }] });
    expect(official.validate(buildMessage(agent, [bad])).length).toBeGreaterThan(0);
  });

  it('are not sent when no Statistics schedule is configured (Statistics_Disabled)', async () => {
    const clock = new FakeClock();
    const log = pino({ level: 'silent' });
    const outbox = new MemoryOutbox({ clock, log, messageTimeoutMs: MIN });
    const pipeline = new Pipeline({ clock, log, outbox, agent, random: () => 0 });
    pipeline.configure({ High: MIN, Medium: MIN, Low: MIN }, [{ name: 'Process', frequency: 'Low', cacheSize: 5 }]);
    await clock.advance(5 * MIN);
    expect(outbox.stats().appended).toBe(0);
  });
});
