import commonPkg from 'azure-iot-common';
import { describe, expect, it } from 'vitest';
import { shortenMessageJson } from '../../src/hub/guarded-transport.js';
import { eventsOf, startRig } from '../support/agent-harness.js';

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

describe('the SDK\'s debug lines on the real send path', () => {
  it('a message sent through the real client to the simulated hub is never turned into an array of its bytes (send or PUBACK)', async () => {
    let bufferToJson = 0;
    const original = Buffer.prototype.toJSON;
    Buffer.prototype.toJSON = function toJSON(this: Buffer) {
      bufferToJson++;
      return original.call(this);
    };
    try {
      const rig = await startRig();
      await rig.hub.waitForMessage((m) => eventsOf(m.body).some((e) => e.Name === 'Heartbeat'), 10_000);
      await rig.close();
    } finally {
      Buffer.prototype.toJSON = original;
    }
    expect(bufferToJson).toBe(0);
  });
});
