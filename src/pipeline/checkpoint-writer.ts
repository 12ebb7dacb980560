/** When the checkpoint is written: each interval if anything changed, and whenever asked (every send); writes never overlap. */
import type { Logger } from 'pino';
import type { Cancel, Clock } from '../clock.js';
import type { Checkpoint, CheckpointFile } from './checkpoint.js';

export class CheckpointWriter {
  private changed = false;
  private saving: Promise<void> = Promise.resolve();
  private lastError: string | undefined;
  private readonly cancelTimer: Cancel;

  constructor(
    private readonly file: CheckpointFile,
    /** What is held right now; called synchronously when a write is requested. */
    private readonly snapshot: () => Checkpoint,
    private readonly clock: Clock,
    private readonly log: Logger,
    intervalMs: number,
  ) {
    this.cancelTimer = clock.setInterval(() => {
      if (this.changed) void this.save();
    }, intervalMs);
  }

  load(): Promise<Checkpoint> {
    return this.file.load();
  }

  markChanged(): void {
    this.changed = true;
  }

  /** Snapshots now and writes after the previous write; a failure is logged once per reason and retried by the next. */
  save(): Promise<void> {
    this.changed = false;
    const held = this.snapshot();
    const at = this.clock.now();
    this.saving = this.saving.then(() => this.file.save(held, at)).then(
      () => {
        this.lastError = undefined;
      },
      (err: unknown) => {
        this.changed = true;
        const reason = err instanceof Error ? err.message : String(err);
        if (reason !== this.lastError) this.log.warn({ path: this.file.path, reason }, 'pipeline: could not write the checkpoint');
        this.lastError = reason;
      },
    );
    return this.saving;
  }

  /** Resolves when every write requested so far is done. */
  written(): Promise<void> {
    return this.saving;
  }

  stopTimer(): void {
    this.cancelTimer();
  }
}
