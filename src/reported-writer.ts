/** Writes the reported properties: a refused write (429, 5xx) is retried with backoff, an offline one after reconnecting. */
import type { Logger } from 'pino';
import { backoffDelay } from './backoff.js';
import type { Cancel, Clock } from './clock.js';
import { NotConnectedError, errorMessage } from './errors.js';

export interface ReportedWriterOptions {
  readonly update: (patch: Record<string, unknown>) => Promise<void>;
  readonly log: Logger;
  readonly clock: Clock;
  /** False once the agent stops: a failure then is not retried. */
  readonly running: () => boolean;
  /** Writes the reported properties again, fresh (the agent queues it behind configuration changes). */
  readonly retry: () => void;
  readonly written: (patch: Record<string, unknown>) => void;
}

export class ReportedWriter {
  private cancelRetry: Cancel | undefined;
  private failures = 0;

  constructor(private readonly opts: ReportedWriterOptions) {}

  async write(patch: Record<string, unknown>): Promise<void> {
    this.cancel();
    try {
      await this.opts.update(patch);
      this.failures = 0;
      this.opts.written(patch);
    } catch (err) {
      if (err instanceof NotConnectedError || !this.opts.running()) {
        this.opts.log.warn({ reason: errorMessage(err) }, 'could not update reported properties; will report again after reconnecting');
        return;
      }
      const delay = backoffDelay(this.failures++, { initialMs: 1_000, maxMs: 60_000 });
      this.opts.log.warn({ reason: errorMessage(err), retryInMs: delay }, 'the hub refused the reported properties; retrying');
      this.cancelRetry = this.opts.clock.setTimeout(() => this.opts.retry(), delay);
    }
  }

  cancel(): void {
    this.cancelRetry?.();
    this.cancelRetry = undefined;
  }
}
