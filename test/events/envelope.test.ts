import { describe, expect, it } from 'vitest';
import { buildMessage, localTimestamp, toWireEvent } from '../../src/events/envelope.js';
import { messageValidator } from '../../src/events/message-schema.js';

describe('the security message envelope', () => {
  it('gives local timestamps with the host offset that name the same instant as UTC', () => {
    const ms = Date.UTC(2026, 10, 22, 15, 0, 0, 123);
    const local = localTimestamp(ms);
    expect(local).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$/);
    expect(Date.parse(local)).toBe(ms);
  });

  it('builds a Heartbeat message that validates against the project schemas', () => {
    const heartbeat = toWireEvent({ name: 'Heartbeat', category: 'Periodic', eventType: 'Operational', payload: [], time: Date.now() });
    const msg = buildMessage({ agentId: '9c647395-b913-4997-a732-a7fe7303b649', agentVersion: '0.1.0' }, [heartbeat]);
    expect(heartbeat.IsEmpty).toBe(true);
    expect(messageValidator().validate(msg)).toEqual([]);
  });

  it('rejects an event whose name is in no schema', () => {
    const ev = toWireEvent({ name: 'Bogus', category: 'Triggered', eventType: 'Security', payload: [{ A: 'b' }], time: Date.now() });
    const msg = buildMessage({ agentId: '9c647395-b913-4997-a732-a7fe7303b649', agentVersion: '0.1.0' }, [ev]);
    expect(messageValidator().validate(msg).length).toBeGreaterThan(0);
  });
});
