import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { FakeClock, settle } from '../support/fake-clock.js';
import { MemoryOutbox } from '../../src/outbox/memory-outbox.js';
import { Delivery } from '../../src/outbox/delivery.js';
import { NotConnectedError, TimeoutError, UserInputError } from '../../src/errors.js';

const log = pino({ level: 'silent' });

function setup(send: (body: Buffer) => Promise<void>, random = () => 1) {
  const clock = new FakeClock();
  const outbox = new MemoryOutbox({ clock, log, messageTimeoutMs: 60 * 60_000 });
  const delivery = new Delivery({ outbox, send, clock, log, random });
  return { clock, outbox, delivery };
}

describe('Delivery', () => {
  it('sends the oldest message first and removes each once the hub acknowledged it', async () => {
    const got: string[] = [];
    const { outbox, delivery } = setup(async (b) => void got.push(b.toString()));
    await outbox.append([Buffer.from('a'), Buffer.from('b')]);
    await outbox.append(Buffer.from('c'));
    await settle();
    expect(got).toEqual(['a', 'b', 'c']);
    expect(outbox.pending).toBe(0);
    expect(delivery.stats()).toMatchObject({ sent: 3, sentUnder4KB: 3, failed: 0, state: 'idle' });
    await delivery.stop();
  });

  it('retries a failed send after a jittered backoff that doubles from 1 s up to 30 s', async () => {
    let fail = true;
    const attempts: number[] = [];
    const { clock, outbox, delivery } = setup(async () => {
      attempts.push(clock.now());
      if (fail) throw new NotConnectedError();
    });
    const t0 = clock.now();
    await outbox.append(Buffer.from('x'));
    await clock.advance(120_000);
    const waits = attempts.slice(1).map((t, i) => t - (attempts[i] ?? 0));
    expect(attempts[0]).toBe(t0);
    expect(waits.slice(0, 6)).toEqual([1000, 2000, 4000, 8000, 16000, 30000]);
    expect(outbox.pending).toBe(1);
    fail = false;
    await clock.advance(30_000);
    expect(outbox.pending).toBe(0);
    expect(delivery.stats().failed).toBe(attempts.length - 1);
    await delivery.stop();
  });

  it('keeps the jittered wait between half and all of the backoff', async () => {
    const attempts: number[] = [];
    const { clock, outbox, delivery } = setup(async () => {
      attempts.push(clock.now());
      throw new NotConnectedError();
    }, () => 0);
    await outbox.append(Buffer.from('x'));
    await clock.advance(3_000);
    expect(attempts.map((t) => t - (attempts[0] ?? 0))).toEqual([0, 500, 1500, 3500].filter((t) => t <= 3000));
    await delivery.stop();
  });

  it('kick ends a backoff wait and tries now', async () => {
    let fail = true;
    const { clock, outbox, delivery } = setup(async () => {
      if (fail) throw new NotConnectedError();
    });
    await outbox.append(Buffer.from('x'));
    await clock.advance(0);
    expect(delivery.stats().state).toBe('backoff');
    fail = false;
    delivery.kick();
    await settle();
    expect(outbox.pending).toBe(0);
    await delivery.stop();
  });

  it('drain resolves true once the outbox is empty and false when the timeout passes first', async () => {
    let fail = true;
    const { clock, outbox, delivery } = setup(async () => {
      if (fail) throw new NotConnectedError();
    });
    expect(await delivery.drain(1000)).toBe(true);
    await outbox.append(Buffer.from('x'));
    const timedOut = delivery.drain(5_000);
    await clock.advance(5_000);
    expect(await timedOut).toBe(false);
    const drained = delivery.drain(60_000);
    fail = false;
    await clock.advance(31_000);
    expect(await drained).toBe(true);
    await delivery.stop();
  });

  it('drain waits for the messages there when it was called, not for those a storm keeps appending', async () => {
    const sent: string[] = [];
    let release: (() => void) | undefined;
    const { outbox, delivery } = setup((b) => new Promise<void>((resolve) => {
      sent.push(b.toString());
      release = resolve;
    }));
    await outbox.append([Buffer.from('old-1'), Buffer.from('old-2')]);
    await settle();
    let drained: boolean | undefined;
    void delivery.drain(60_000).then((ok) => { drained = ok; });
    for (let i = 0; i < 2; i++) {
      await outbox.append(Buffer.from(`new-${i}`));
      release?.();
      await settle();
    }
    expect(sent.slice(0, 2)).toEqual(['old-1', 'old-2']);
    expect(drained).toBe(true);
    expect(outbox.pending).toBeGreaterThan(0);
    release?.();
    await delivery.stop();
  });

  it('redelivers only the message in flight when the link drops', async () => {
    const got: string[] = [];
    let calls = 0;
    const { clock, outbox, delivery } = setup(async (b) => {
      got.push(b.toString());
      if (++calls === 2) throw new Error('link dropped before PUBACK');
    });
    await outbox.append([Buffer.from('1'), Buffer.from('2'), Buffer.from('3')]);
    await clock.advance(2_000);
    expect(got).toEqual(['1', '2', '2', '3']);
    await delivery.stop();
  });

  it('stop is idempotent, leaves unsent messages in the outbox and sends nothing after', async () => {
    const got: string[] = [];
    const { outbox, delivery } = setup(async (b) => void got.push(b.toString()));
    await delivery.stop();
    await delivery.stop();
    await outbox.append(Buffer.from('late'));
    await settle();
    expect(got).toEqual([]);
    expect(outbox.pending).toBe(1);
  });

  it('keeps delivering after the outbox fails to read a message once', async () => {
    const got: string[] = [];
    const { clock, outbox, delivery } = setup(async (b) => void got.push(b.toString()));
    const realPeek = outbox.peek.bind(outbox);
    let failures = 1;
    outbox.peek = async () => {
      if (failures-- > 0) throw new Error('EIO: i/o error, read');
      return realPeek();
    };
    await outbox.append(Buffer.from('a'));
    await clock.advance(2_000);
    expect(got).toEqual(['a']);
    expect(outbox.pending).toBe(0);
    await delivery.stop();
  });

  it('moves a message failing 3 attempts in a row to the dead letters, logs it once, and sends the one behind it', async () => {
    const got: string[] = [];
    const errors: string[] = [];
    const clock = new FakeClock();
    const outbox = new MemoryOutbox({ clock, log, messageTimeoutMs: 60 * 60_000 });
    const logged = pino({ level: 'error' }, { write: (l: string) => void errors.push(String((JSON.parse(l) as { msg: string }).msg)) });
    const delivery = new Delivery({
      outbox, clock, log: logged, random: () => 1,
      send: async (b) => {
        got.push(b.toString());
        if (b.toString() === 'bad') throw new Error('Connection closed');
      },
    });
    await outbox.append([Buffer.from('bad'), Buffer.from('good')]);
    await clock.advance(10_000);
    expect(got).toEqual(['bad', 'bad', 'bad', 'good']);
    expect(outbox.pending).toBe(0);
    expect(outbox.stats()).toMatchObject({ deadLettered: 1, acked: 1 });
    expect(delivery.stats()).toMatchObject({ sent: 1, failed: 3, deadLettered: 1 });
    expect(errors).toEqual(['delivery: the hub refuses this message; moved to the dead-letter file, sending the ones behind it']);
    await delivery.stop();
  });

  it('never counts an offline link or an unanswered send against the message', async () => {
    let calls = 0;
    const { clock, outbox, delivery } = setup(async () => {
      calls++;
      throw calls % 2 === 0 ? new NotConnectedError() : new TimeoutError('sending a message', 60_000);
    });
    await outbox.append(Buffer.from('x'));
    await clock.advance(10 * 60_000);
    expect(calls).toBeGreaterThan(10);
    expect(outbox.pending).toBe(1);
    expect(outbox.stats().deadLettered).toBe(0);
    await delivery.stop();
  });

  it('dead-letters at once a permanent error (retryable false) and a body over 256 KB, which is never sent', async () => {
    const got: number[] = [];
    const { clock, outbox, delivery } = setup(async (b) => {
      got.push(b.length);
      if (b.toString() === 'permanent') throw new UserInputError('refused for good');
    });
    await outbox.append([Buffer.from('permanent'), Buffer.alloc(262_145, 0x61), Buffer.from('ok')]);
    await clock.advance(0);
    expect(got).toEqual([9, 2]);
    expect(outbox.stats()).toMatchObject({ deadLettered: 2, acked: 1, pendingMessages: 0 });
    await delivery.stop();
  });

  it('never sets a message aside for an outage: refused credentials are the link failure, not the message one', async () => {
    let refuse = true;
    const got: string[] = [];
    const { clock, outbox, delivery } = setup(async (b) => {
      got.push(b.toString());
      if (refuse) throw Object.assign(new Error('mqtt.js returned Connection refused: Not authorized error'), { name: 'UnauthorizedError' });
    });
    await outbox.append(Buffer.from('m'));
    await clock.advance(120_000);
    expect(got.length).toBeGreaterThan(3);
    expect(outbox.stats().deadLettered).toBe(0);
    refuse = false;
    await clock.advance(31_000);
    expect(outbox.stats()).toMatchObject({ acked: 1, deadLettered: 0 });
    await delivery.stop();
  });

  it('fails the send in flight when the connection is lost, counting it, and ignores its late result', async () => {
    const pending: (() => void)[] = [];
    const got: string[] = [];
    const { clock, outbox, delivery } = setup((b) => {
      got.push(b.toString());
      // The SDK never settles a publish the hub answered by closing the connection.
      return b.toString() === 'bad' ? new Promise<void>((_resolve, reject) => void pending.push(() => reject(new Error('late')))) : Promise.resolve();
    });
    await outbox.append([Buffer.from('bad'), Buffer.from('good')]);
    for (let i = 0; i < 3; i++) {
      await settle();
      expect(delivery.stats().state).toBe('sending');
      delivery.connectionLost();
      await settle();
      delivery.kick(); // the link reconnected
    }
    for (const reject of pending) reject();
    await clock.advance(1_000);
    expect(got).toEqual(['bad', 'bad', 'bad', 'good']);
    expect(outbox.stats()).toMatchObject({ deadLettered: 1, acked: 1 });
    await delivery.stop();
  });
});
