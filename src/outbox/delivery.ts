/**
 * The delivery loop: sends the oldest unacknowledged message, acknowledges it in the outbox when the
 * hub did, and on failure waits a bounded, jittered backoff (the hub link does connection retries).
 */
import type { Logger } from 'pino';
import { backoffDelay } from '../backoff.js';
import type { Cancel, Clock } from '../clock.js';
import { AgentError, ConnectionLostError, NotConnectedError, TimeoutError } from '../errors.js';
import { IOT_HUB_MAX_MESSAGE_BYTES } from '../pipeline/packer.js';
import type { Outbox, OutboxMessage } from './outbox.js';

/** A body IoT Hub can never accept: more than 256 KB before any property is added. */
export class MessageTooLargeError extends AgentError {
  constructor(bytes: number) {
    super('MessageTooLargeError', `message body of ${bytes} bytes is over IoT Hub's ${IOT_HUB_MAX_MESSAGE_BYTES} byte limit`, false);
  }
}

/** Failed attempts on one message (dropped connections, errors from the hub) before it is dead-lettered. */
export const DEFAULT_MAX_ATTEMPTS_PER_MESSAGE = 3;

export interface DeliveryOptions {
  readonly outbox: Outbox;
  /** Resolves when the hub acknowledged the message (PUBACK), rejects otherwise. */
  readonly send: (body: Buffer) => Promise<void>;
  readonly clock: Clock;
  readonly log: Logger;
  /** First wait after a failure; doubles up to maxBackoffMs. Default 1 s. */
  readonly minBackoffMs?: number;
  /** Default 30 s. */
  readonly maxBackoffMs?: number;
  readonly random?: () => number;
  /** Start sending at once (default true); otherwise call start(). */
  readonly autoStart?: boolean;
  /** Failed attempts on the same message before it goes to the dead-letter file; default 3. */
  readonly maxAttemptsPerMessage?: number;
  /** The hub acknowledged `message` and the outbox let it go. */
  readonly onSent?: (message: OutboxMessage) => void;
  /** `message` was refused for good and moved to the dead-letter file. */
  readonly onDeadLetter?: (message: OutboxMessage, reason: string) => void;
}

export interface DeliveryStats {
  /** Messages the hub acknowledged. */
  readonly sent: number;
  /** Of those, bodies under 4 KB (the MessageStatistics `MessagesUnder4KB`). */
  readonly sentUnder4KB: number;
  /** Send attempts that failed. */
  readonly failed: number;
  /** Messages given up (refused for good) and moved to the dead-letter file. */
  readonly deadLettered: number;
  readonly state: 'stopped' | 'idle' | 'sending' | 'backoff';
}

const SMALL_MESSAGE_BYTES = 4 * 1024;

export class Delivery {
  private state: DeliveryStats['state'] = 'stopped';
  private counters = { sent: 0, sentUnder4KB: 0, failed: 0, deadLettered: 0 };
  /** Failed attempts on the head message, reset when the head changes. */
  private attempts = { seq: 0, count: 0 };
  /** Fails the send in flight when the link reports the connection lost. */
  private abandonInFlight: ((err: Error) => void) | undefined;
  private readonly maxAttempts: number;
  /** Failures in a row: the backoff grows with them and resets on a success or a kick. */
  private failuresInARow = 0;
  private wake: (() => void) | undefined;
  private cancelTimer: Cancel | undefined;
  private loop: Promise<void> | undefined;
  private stopped = false;
  /** Set by every outbox change, so an append racing the empty peek is not slept through. */
  private changed = false;
  private readonly unsubscribe: () => void;
  private readonly drainWaiters = new Set<() => void>();
  private readonly minBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly random: () => number;

  private lastFailure: string | undefined;

  constructor(private readonly opts: DeliveryOptions) {
    this.minBackoffMs = opts.minBackoffMs ?? 1_000;
    this.maxBackoffMs = Math.max(this.minBackoffMs, opts.maxBackoffMs ?? 30_000);
    this.random = opts.random ?? Math.random;
    this.maxAttempts = Math.max(1, opts.maxAttemptsPerMessage ?? DEFAULT_MAX_ATTEMPTS_PER_MESSAGE);
    this.unsubscribe = opts.outbox.onChange(() => this.onOutboxChange());
    if (opts.autoStart !== false) this.start();
  }

  start(): void {
    if (this.stopped || this.loop !== undefined) return;
    this.state = 'idle';
    this.loop = this.run().catch((err: unknown) => {
      this.opts.log.error({ err }, 'delivery loop failed');
      this.state = 'stopped';
    });
  }

  /** Try now: ends a backoff wait (the agent calls this when the hub link reconnects). */
  kick(): void {
    this.failuresInARow = 0;
    this.wakeUp();
  }

  /** The hub link dropped: the message in flight (if any) failed, whatever the SDK does with it later. */
  connectionLost(): void {
    this.abandonInFlight?.(new ConnectionLostError());
  }

  /**
   * Resolves true once every message in the outbox now has left it (sent, or set aside), false if `timeoutMs`
   * passes first. Messages appended meanwhile are not waited for: under a storm of events the outbox never
   * empties, and a twin change must not wait its whole timeout for it.
   */
  drain(timeoutMs: number): Promise<boolean> {
    const target = removedSoFar(this.opts.outbox) + this.opts.outbox.pending;
    if (this.opts.outbox.pending === 0) return Promise.resolve(true);
    this.kick();
    return new Promise<boolean>((resolve) => {
      const done = (ok: boolean): void => {
        cancel();
        this.drainWaiters.delete(onChange);
        resolve(ok);
      };
      const onChange = (): void => {
        if (this.opts.outbox.pending === 0 || removedSoFar(this.opts.outbox) >= target) done(true);
      };
      const cancel = this.opts.clock.setTimeout(() => done(false), timeoutMs);
      this.drainWaiters.add(onChange);
    });
  }

  stats(): DeliveryStats {
    return { ...this.counters, state: this.state };
  }

  /** Stops after the message in flight (if any) settles; idempotent, safe without start(). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe();
    this.wakeUp();
    await this.loop;
    this.state = 'stopped';
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      this.changed = false;
      let message: OutboxMessage | undefined;
      try {
        message = await this.opts.outbox.peek();
      } catch (err) {
        // A read error (EIO, a short read) must not end delivery for the rest of the run.
        await this.failed(err, undefined);
        continue;
      }
      if (message === undefined) {
        this.state = 'idle';
        await this.sleep(undefined);
        continue;
      }
      this.state = 'sending';
      try {
        if (message.body.length > IOT_HUB_MAX_MESSAGE_BYTES) throw new MessageTooLargeError(message.body.length);
        await this.sendOrAbandon(message.body);
      } catch (err) {
        this.counters.failed++;
        if (this.refusedForGood(err, message.seq)) await this.deadLetter(message, err);
        else await this.failed(err, message.seq);
        continue;
      }
      this.lastFailure = undefined;
      this.failuresInARow = 0;
      try {
        await this.opts.outbox.ack(message.seq);
      } catch (err) {
        await this.failed(err, message.seq);
        continue;
      }
      // Counted with the event, once the outbox let go of it: status() and 'message-sent' agree.
      this.counters.sent++;
      if (message.body.length < SMALL_MESSAGE_BYTES) this.counters.sentUnder4KB++;
      this.opts.onSent?.(message);
    }
  }

  private async sendOrAbandon(body: Buffer): Promise<void> {
    const sending = this.opts.send(body);
    // Abandoned when the connection drops; its late rejection must not go unhandled.
    sending.catch(() => undefined);
    const lost = new Promise<never>((_resolve, reject) => {
      this.abandonInFlight = reject;
    });
    try {
      await Promise.race([sending, lost]);
    } finally {
      this.abandonInFlight = undefined;
    }
  }

  /**
   * Permanent (retryable false) at once. Otherwise a failure of this send (IoT Hub answers a publish it
   * refuses by closing the connection) counts against the message, and enough of them in a row mean the hub
   * refuses it; an outage (offline, refused credentials, throttling, no answer in time) never does.
   */
  private refusedForGood(err: unknown, seq: number): boolean {
    if (err instanceof AgentError && !err.retryable) return true;
    if (err instanceof NotConnectedError || err instanceof TimeoutError) return false;
    if (err instanceof Error && OUTAGE_ERRORS.has(err.name)) return false;
    if (this.attempts.seq !== seq) this.attempts = { seq, count: 0 };
    return ++this.attempts.count >= this.maxAttempts;
  }

  private async deadLetter(message: OutboxMessage, err: unknown): Promise<void> {
    const reason = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    const attempts = this.attempts.seq === message.seq ? this.attempts.count : 1;
    this.opts.log.error({ seq: message.seq, bytes: message.body.length, attempts, reason },
      'delivery: the hub refuses this message; moved to the dead-letter file, sending the ones behind it');
    try {
      await this.opts.outbox.deadLetter(message.seq, reason);
      this.counters.deadLettered++;
      this.opts.onDeadLetter?.(message, reason);
    } catch (e) {
      await this.failed(e, message.seq);
    }
  }

  /** Logs a failure (once per new kind) and waits a jittered, doubling backoff. */
  private async failed(err: unknown, seq: number | undefined): Promise<void> {
    const wait = backoffDelay(this.failuresInARow++, { initialMs: this.minBackoffMs, maxMs: this.maxBackoffMs, random: this.random });
    // Offline is the hub link's to report; here only a new kind of failure is worth a warning.
    const reason = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    const offline = err instanceof Error && err.name === 'NotConnectedError';
    const level = offline || reason === this.lastFailure ? 'debug' : 'warn';
    this.lastFailure = reason;
    this.opts.log[level]({ reason, seq, retryInMs: wait }, 'delivery: failed; retrying after backoff');
    this.state = 'backoff';
    await this.sleep(wait);
  }

  /** Waits for a wake-up (append, kick, stop) or, when given, a timeout. */
  private sleep(ms: number | undefined): Promise<void> {
    return new Promise<void>((resolve) => {
      if (ms === undefined && this.changed) return resolve();
      this.wake = resolve;
      if (ms !== undefined) this.cancelTimer = this.opts.clock.setTimeout(() => this.wakeUp(), ms);
      if (this.stopped) this.wakeUp();
    });
  }

  private wakeUp(): void {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private onOutboxChange(): void {
    this.changed = true;
    for (const w of [...this.drainWaiters]) w();
    // New messages end an idle wait; a backoff wait is only ended by kick().
    if (this.state === 'idle') this.wakeUp();
  }
}

/** Errors of azure-iot-common that say the hub or the link is unavailable, whatever message is sent. */
const OUTAGE_ERRORS = new Set(['UnauthorizedError', 'NotConnectedError', 'TimeoutError', 'ThrottlingError', 'IotHubQuotaExceededError',
  'ServiceUnavailableError', 'InternalServerError', 'DeviceNotFoundError', 'IotHubNotFoundError', 'SecurityDeviceError']);

/** Messages that have left the outbox since it was opened, by any way out. */
function removedSoFar(outbox: Outbox): number {
  const s = outbox.stats();
  return s.acked + s.droppedBySize + s.droppedByAge + s.deadLettered + s.unreadableSkipped;
}
