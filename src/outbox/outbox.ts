/** The outbox contract: a durable FIFO of packed messages, removed only when acknowledged or expired. */
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';

export type OutboxMode = 'disk' | 'memory';

export interface OutboxMessage {
  /** Increasing, never reused in one outbox directory; pass it back to ack(). */
  readonly seq: number;
  readonly body: Buffer;
  /** When it was appended (ms since epoch); the age limit counts from here. */
  readonly appendedAt: number;
}

export interface OutboxStats {
  readonly mode: OutboxMode;
  readonly pendingMessages: number;
  /** Bytes counted against maxBytes (record headers included). */
  readonly pendingBytes: number;
  readonly appended: number;
  readonly acked: number;
  /** Oldest messages dropped to stay under maxBytes. */
  readonly droppedBySize: number;
  /** Messages dropped because they were older than messageTimeoutMs. */
  readonly droppedByAge: number;
  /** Torn or corrupt records skipped when the directory was reopened. */
  readonly corruptSkipped: number;
  /** Messages the hub refused for good, moved to the dead-letter file. */
  readonly deadLettered: number;
  /** Head records that could not be read back (I/O error, checksum) after repeated tries, skipped. */
  readonly unreadableSkipped: number;
  /** When the oldest waiting message was appended (ms since epoch); undefined when none waits. */
  readonly oldestAppendedAt?: number | undefined;
}

export interface Outbox {
  readonly mode: OutboxMode;
  /** Stores messages in order; resolves once they are durable (disk: written and fsync'd as one batch). */
  append(bodies: Buffer | readonly Buffer[]): Promise<void>;
  /** The oldest message not yet acknowledged (expired ones are dropped first), or undefined when empty. */
  peek(): Promise<OutboxMessage | undefined>;
  /** Removes the oldest message if `seq` is it; a seq already removed (expired, dropped) is ignored. */
  ack(seq: number): Promise<void>;
  /**
   * Removes the oldest message if `seq` is it, keeping a copy in the dead-letter file (disk outbox):
   * for a message the hub refuses for good, so it never blocks the ones behind it.
   */
  deadLetter(seq: number, reason: string): Promise<void>;
  /** Messages waiting, without I/O. */
  readonly pending: number;
  stats(): OutboxStats;
  /** Applies a new `IothubModule_MessageTimeout` (ms) from the next peek or append on. */
  setMessageTimeout(ms: number): void;
  /** Called after every append and removal; returns an unsubscribe function. */
  onChange(listener: () => void): () => void;
  /** Releases file handles; idempotent. What was appended and not acknowledged stays for the next open. */
  close(): Promise<void>;
}

export interface OutboxOptions {
  /** The outbox directory (created if missing); undefined means memory only. */
  readonly dir: string | undefined;
  /** Bound on stored bytes; the oldest messages are dropped beyond it. Default 50 MB. */
  readonly maxBytes?: number;
  /** `IothubModule_MessageTimeout` in ms: older messages are dropped and counted. */
  readonly messageTimeoutMs: number;
  readonly clock: Clock;
  readonly log: Logger;
  /** Disk: a segment file is closed for appends beyond this size. Default 4 MB. */
  readonly segmentBytes?: number;
}

export const DEFAULT_OUTBOX_MAX_BYTES = 50 * 1024 * 1024;
export const DEFAULT_SEGMENT_BYTES = 4 * 1024 * 1024;
/** Reads of the same head record that may fail before it is skipped as unreadable. */
export const MAX_HEAD_READ_FAILURES = 3;
