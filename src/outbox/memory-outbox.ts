/** The outbox when the state dir cannot be written: same behaviour, lost on restart. */
import { QueueOutbox, type QueueSettings, type QueuedEntry } from './queue-outbox.js';

interface MemoryEntry extends QueuedEntry {
  readonly body: Buffer;
}

export class MemoryOutbox extends QueueOutbox<MemoryEntry> {
  readonly mode = 'memory' as const;
  private nextSeq = 1;

  constructor(settings: QueueSettings) {
    super(settings);
  }

  protected async store(bodies: readonly Buffer[], appendedAt: number): Promise<MemoryEntry[]> {
    return bodies.map((body) => ({ seq: this.nextSeq++, appendedAt, bytes: body.length, body }));
  }

  protected async load(entry: MemoryEntry): Promise<Buffer> {
    return entry.body;
  }

  protected async removedThrough(): Promise<void> {}

  protected async release(): Promise<void> {}

  /** No state dir: the refused message is only counted and logged. */
  protected async keepDeadLetter(): Promise<void> {}
}
