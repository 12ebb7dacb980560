import commonPkg from 'azure-iot-common';
import { describe, expect, it } from 'vitest';
import { shortenMessageJson } from '../../src/hub/guarded-transport.js';

const { Message } = commonPkg;

describe('outgoing messages in the SDK\'s debug lines', () => {
  it('JSON.stringify of a sent message is a byte count, not an array of every byte; the body is untouched', () => {
    const body = Buffer.from(JSON.stringify({ events: Array.from({ length: 100 }, (_, i) => ({ n: i, cmd: `/usr/bin/x --flag ${i}` })) }));
    const msg = new Message(body);
    expect(JSON.stringify(msg).length).toBeGreaterThan(body.length * 2);
    shortenMessageJson(msg);
    expect(JSON.stringify(msg)).toBe(JSON.stringify({ bytes: body.length }));
    expect(msg.getData()).toBe(body);
    expect(Object.keys(msg)).not.toContain('toJSON');
  });

  it('leaves alone what is not a message object and a message with its own toJSON', () => {
    expect(() => shortenMessageJson(undefined)).not.toThrow();
    const own = { data: Buffer.from('abc'), toJSON: () => 'mine' };
    shortenMessageJson(own);
    expect(JSON.stringify(own)).toBe('"mine"');
  });
});
