/**
 * Before this, a device clock is unset (no RTC, NTP not yet synced): a message stamped then is not
 * 55 years old once NTP corrects the clock, so its age restarts from the first plausible reading.
 */
export const PLAUSIBLE_CLOCK_MS = Date.UTC(2024, 0, 1);

/** What the disk and memory outboxes share: the FIFO index, the size and age bounds, counters, listeners. */
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { DEFAULT_OUTBOX_MAX_BYTES, MAX_HEAD_READ_FAILURES, type Outbox, type OutboxMessage, type OutboxMode, type OutboxStats } from './outbox.js';

export interface QueuedEntry {
  readonly seq: number;
  /** Restamped once the clock is plausible again (see enforceBounds). */
  appendedAt: number;
  /** Bytes counted against maxBytes. */
  readonly bytes: number;
}

export interface QueueSettings {
  readonly maxBytes?: number;
  readonly messageTimeoutMs: number;
  readonly clock: Clock;
  readonly log: Logger;
}

export abstract class QueueOutbox<E extends QueuedEntry> implements Outbox {
  abstract readonly mode: OutboxMode;
  private entries: E[] = [];
  private head = 0;
  private liveBytes = 0;
  private readonly listeners = new Set<() => void>();
  /** Serializes appends and removals: both touch files and the index. */
  private lock: Promise<unknown> = Promise.resolve();
  protected closed = false;
  protected readonly maxBytes: number;
  protected readonly counters = { appended: 0, acked: 0, droppedBySize: 0, droppedByAge: 0, corruptSkipped: 0, deadLettered: 0, unreadableSkipped: 0 };
  /** Failed reads of the current head record: a few may be transient (EIO), more skip it. */
  private headReadFailures = { seq: 0, count: 0 };

  private messageTimeoutMs: number;

  protected constructor(protected readonly settings: QueueSettings) {
    this.maxBytes = settings.maxBytes ?? DEFAULT_OUTBOX_MAX_BYTES;
    this.messageTimeoutMs = settings.messageTimeoutMs;
  }

  setMessageTimeout(ms: number): void {
    if (!Number.isFinite(ms) || ms <= 0) throw new RangeError(`message timeout must be positive ms, got ${ms}`);
    this.messageTimeoutMs = ms;
  }

  /** Persists bodies in order, returning their index entries. */
  protected abstract store(bodies: readonly Buffer[], appendedAt: number): Promise<E[]>;
  protected abstract load(entry: E): Promise<Buffer>;
  /** Everything up to and including `seq` is gone from the queue. */
  protected abstract removedThrough(seq: number): Promise<void>;
  protected abstract release(): Promise<void>;
  /** Keeps a refused message (body undefined when it cannot be read) where a user can look at it. */
  protected abstract keepDeadLetter(entry: E, body: Buffer | undefined, reason: string): Promise<void>;

  private unsetClockEntries = false;

  get pending(): number {
    return this.entries.length - this.head;
  }

  append(bodies: Buffer | readonly Buffer[]): Promise<void> {
    const list = Buffer.isBuffer(bodies) ? [bodies] : bodies;
    if (list.length === 0) return Promise.resolve();
    return this.locked(async () => {
      if (this.closed) throw new Error('outbox is closed');
      const stored = await this.store(list, this.settings.clock.now());
      for (const e of stored) {
        this.entries.push(e);
        this.liveBytes += e.bytes;
        if (e.appendedAt < PLAUSIBLE_CLOCK_MS) this.unsetClockEntries = true;
      }
      this.counters.appended += stored.length;
      await this.enforceBounds();
      this.notify();
    });
  }

  peek(): Promise<OutboxMessage | undefined> {
    return this.locked(async () => {
      if (this.closed) return undefined;
      await this.enforceBounds();
      for (let entry = this.entries[this.head]; entry !== undefined; entry = this.entries[this.head]) {
        try {
          return { seq: entry.seq, appendedAt: entry.appendedAt, body: await this.load(entry) };
        } catch (err) {
          if (!this.giveUpReading(entry.seq)) throw err;
          this.counters.unreadableSkipped++;
          this.settings.log.warn({ seq: entry.seq, reason: err instanceof Error ? err.message : String(err) },
            `outbox: message ${entry.seq} could not be read back ${MAX_HEAD_READ_FAILURES} times; skipped so the queue goes on`);
          await this.removeHead();
          this.notify();
        }
      }
      return undefined;
    });
  }

  deadLetter(seq: number, reason: string): Promise<void> {
    return this.locked(async () => {
      const entry = this.entries[this.head];
      if (this.closed || entry === undefined || seq < entry.seq) return;
      if (seq > entry.seq) throw new Error(`dead-letter out of order: ${seq} while the oldest is ${entry.seq}`);
      const body = await this.load(entry).catch(() => undefined);
      try {
        await this.keepDeadLetter(entry, body, reason);
      } catch (err) {
        // Holding the queue for a copy we cannot write would block everything behind it.
        this.settings.log.error({ seq, err }, 'outbox: could not write the dead-letter file; the refused message is dropped');
      }
      this.counters.deadLettered++;
      await this.removeHead();
      this.notify();
    });
  }

  ack(seq: number): Promise<void> {
    return this.locked(async () => {
      const entry = this.entries[this.head];
      if (this.closed || entry === undefined || seq < entry.seq) return;
      if (seq > entry.seq) throw new Error(`ack out of order: ${seq} while the oldest is ${entry.seq}`);
      this.counters.acked++;
      await this.removeHead();
      this.notify();
    });
  }

  stats(): OutboxStats {
    return { mode: this.mode, pendingMessages: this.pending, pendingBytes: this.liveBytes, ...this.counters, oldestAppendedAt: this.entries[this.head]?.appendedAt };
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): Promise<void> {
    return this.locked(async () => {
      if (this.closed) return;
      this.closed = true;
      await this.release();
    });
  }

  /** Adds entries found on disk at open (no bounds applied yet; call enforceBounds after). */
  protected restore(entries: readonly E[]): void {
    for (const e of entries) {
      this.entries.push(e);
      this.liveBytes += e.bytes;
      if (e.appendedAt < PLAUSIBLE_CLOCK_MS) this.unsetClockEntries = true;
    }
  }

  /** Drops expired messages, then the oldest while over maxBytes, counting each. */
  protected async enforceBounds(): Promise<void> {
    const now = this.settings.clock.now();
    const deadline = now - this.messageTimeoutMs;
    if (this.unsetClockEntries && now >= PLAUSIBLE_CLOCK_MS) {
      this.unsetClockEntries = false;
      for (let i = this.head; i < this.entries.length; i++) {
        const e = this.entries[i];
        if (e !== undefined && e.appendedAt < PLAUSIBLE_CLOCK_MS) e.appendedAt = now;
      }
    }
    let byAge = 0;
    let bySize = 0;
    for (let e = this.entries[this.head]; e !== undefined; e = this.entries[this.head]) {
      if (e.appendedAt <= deadline) byAge++;
      else if (this.liveBytes > this.maxBytes) bySize++;
      else break;
      await this.removeHead();
    }
    if (byAge > 0) {
      this.counters.droppedByAge += byAge;
      this.settings.log.warn({ dropped: byAge, messageTimeoutMs: this.messageTimeoutMs }, 'outbox: dropped messages older than IothubModule_MessageTimeout');
    }
    if (bySize > 0) {
      this.counters.droppedBySize += bySize;
      this.settings.log.warn({ dropped: bySize, maxBytes: this.maxBytes }, 'outbox: full, dropped the oldest messages');
    }
    if (byAge + bySize > 0) this.notify();
  }

  /** Counts a failed read of the head; true once it has failed often enough to skip it. */
  private giveUpReading(seq: number): boolean {
    if (this.headReadFailures.seq !== seq) this.headReadFailures = { seq, count: 0 };
    return ++this.headReadFailures.count >= MAX_HEAD_READ_FAILURES;
  }

  private async removeHead(): Promise<void> {
    const entry = this.entries[this.head];
    if (entry === undefined) return;
    this.head++;
    this.liveBytes -= entry.bytes;
    // Compact the array now and then instead of shift() per message.
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
    await this.removedThrough(entry.seq);
  }

  private notify(): void {
    for (const l of this.listeners) {
      try {
        l();
      } catch (err) {
        this.settings.log.error({ err }, 'outbox listener failed');
      }
    }
  }

  private locked<T>(task: () => Promise<T>): Promise<T> {
    const run = this.lock.then(task);
    this.lock = run.catch(() => undefined);
    return run;
  }
}
