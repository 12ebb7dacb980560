import { describe, expect, it } from 'vitest';
import { buildMessage, toWireEvent, type SecurityMessage, type WireEvent } from '../../src/events/envelope.js';
import { DEFAULT_MAX_BODY_BYTES, Packer } from '../../src/pipeline/packer.js';
import { serialize } from '../../src/pipeline/truncate.js';

const agent = { agentId: '9c647395-b913-4997-a732-a7fe7303b649', agentVersion: '0.1.0' };
const T0 = Date.UTC(2026, 0, 1);

function event(i: number, commandLine: string): WireEvent {
  return toWireEvent(
    {
      name: 'ProcessCreate', category: 'Triggered', eventType: 'Security', time: T0 + i,
      payload: [{ Executable: '/bin/sh', ProcessId: i, ParentProcessId: 1, UserId: '0', CommandLine: commandLine }],
    },
    `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
  );
}

function parse(b: Buffer): SecurityMessage {
  return JSON.parse(b.toString('utf8')) as SecurityMessage;
}

describe('Packer', () => {
  it('leaves 4 KB of the 256 KB hub limit for properties by default', () => {
    expect(DEFAULT_MAX_BODY_BYTES).toBe(262_144 - 4_096);
  });

  it('puts events into one message in the envelope buildMessage produces', () => {
    const events = [event(1, 'ls'), event(2, 'ps aux')];
    const { messages } = new Packer(agent, 10_000).pack(events);
    expect(messages).toHaveLength(1);
    expect(parse(messages[0] ?? Buffer.alloc(0))).toEqual(buildMessage(agent, events));
  });

  it('fills a message exactly to the limit and starts a new one one byte beyond', () => {
    const a = event(1, 'x'.repeat(100));
    const b = event(2, 'y'.repeat(100));
    const exact = Buffer.byteLength(JSON.stringify(buildMessage(agent, [a, b])));
    expect(new Packer(agent, exact).pack([a, b]).messages).toHaveLength(1);
    expect(new Packer(agent, exact).pack([a, b]).messages[0]?.length).toBe(exact);
    const split = new Packer(agent, exact - 1).pack([a, b]).messages;
    expect(split).toHaveLength(2);
    expect(split.map((m) => parse(m).Events[0]?.Id)).toEqual([a.Id, b.Id]);
  });

  it('never exceeds the limit, counting multi-byte UTF-8 exactly, and keeps every event in order', () => {
    const limit = 20_000;
    const events = Array.from({ length: 400 }, (_, i) => event(i, 'ü€😀"\\\n'.repeat((i * 37) % 300)));
    const { messages, events: placed, truncated } = new Packer(agent, limit).pack(events);
    expect(placed).toBe(400);
    expect(truncated).toBe(0);
    expect(messages.length).toBeGreaterThan(5);
    for (const m of messages) expect(m.length).toBeLessThanOrEqual(limit);
    expect(messages.flatMap((m) => parse(m).Events.map((e) => e.Id))).toEqual(events.map((e) => e.Id));
    // As few as fit: no two neighbours could have been one message.
    for (let i = 1; i < messages.length; i++) {
      const prev = parse(messages[i - 1] ?? Buffer.alloc(0));
      const first = parse(messages[i] ?? Buffer.alloc(0)).Events[0];
      expect(first).toBeDefined();
      const merged = Buffer.byteLength(JSON.stringify(buildMessage(agent, [...prev.Events, first as WireEvent])));
      expect(merged).toBeGreaterThan(limit);
    }
  });

  it('truncates an event too large on its own in its longest field and marks it', () => {
    const limit = 8_000;
    const huge = event(1, 'z'.repeat(50_000));
    const packer = new Packer(agent, limit);
    const { messages, truncated, dropped } = packer.pack([event(0, 'ls'), huge, event(2, 'ps')]);
    expect(truncated).toBe(1);
    expect(dropped).toBe(0);
    for (const m of messages) expect(m.length).toBeLessThanOrEqual(limit);
    const all = messages.flatMap((m) => parse(m).Events);
    expect(all.map((e) => e.Id)).toEqual([event(0, '').Id, huge.Id, event(2, '').Id]);
    const cut = all[1]?.Payload[0];
    expect(cut?.['ExtraDetails']).toEqual({ Truncated: 'true' });
    expect(String(cut?.['CommandLine']).length).toBeGreaterThan(limit / 2);
    expect(cut?.['Executable']).toBe('/bin/sh');
    expect(serialize(all[1] as WireEvent).bytes).toBeLessThanOrEqual(packer.maxEventBytes);
  });

  it('does not leave half a surrogate pair when truncating emoji', () => {
    const { messages } = new Packer(agent, 4_000).pack([event(1, '😀'.repeat(5_000))]);
    const text = messages[0]?.toString('utf8') ?? '';
    expect(text).not.toMatch(/\\ud[89ab]/i);
    expect(messages[0]?.length).toBeLessThanOrEqual(4_000);
  });

  it('keeps whole, valid items of an event with thousands of them and says how many were left out', () => {
    const payload = Array.from({ length: 5200 }, (_, i) => ({ LocalAddress: '10.0.0.1', LocalPort: String(1024 + i), Protocol: 'TCP' }));
    const big = toWireEvent({ name: 'ListeningPorts', category: 'Periodic', eventType: 'Security', time: T0, payload }, '00000000-0000-4000-8000-000000000001');
    const { messages, truncated, dropped } = new Packer(agent, DEFAULT_MAX_BODY_BYTES).pack([big]);
    expect({ truncated, dropped, messages: messages.length }).toEqual({ truncated: 1, dropped: 0, messages: 1 });
    const items = parse(messages[0]!).Events[0]!.Payload;
    expect(items.length).toBeGreaterThan(1000);
    for (const item of items) expect(item).toMatchObject({ LocalAddress: '10.0.0.1', Protocol: 'TCP' });
    expect(items[0]!['ExtraDetails']).toMatchObject({ Truncated: 'true', ItemsLeftOut: String(5200 - items.length) });
    expect(messages[0]!.length).toBeLessThanOrEqual(DEFAULT_MAX_BODY_BYTES);
  });

  it('cuts multi-byte and escaped strings by their bytes, keeping as much as fits', () => {
    const huge = toWireEvent(
      { name: 'ProcessCreate', category: 'Triggered', eventType: 'Security', time: T0, payload: [{ Executable: '😀'.repeat(200_000), ProcessId: 1, ParentProcessId: 0, UserId: '0', CommandLine: '\u0001'.repeat(200_000) }] },
      '00000000-0000-4000-8000-000000000002',
    );
    const { messages, truncated } = new Packer(agent, DEFAULT_MAX_BODY_BYTES).pack([huge]);
    expect(truncated).toBe(1);
    expect(messages[0]!.length).toBeLessThanOrEqual(DEFAULT_MAX_BODY_BYTES);
    expect(messages[0]!.length).toBeGreaterThan(DEFAULT_MAX_BODY_BYTES - 1_000);
    const item = parse(messages[0]!).Events[0]!.Payload[0]!;
    expect(String(item['Executable']).length + String(item['CommandLine']).length).toBeGreaterThan(10_000);
  });
});
