/**
 * When a polling collector polls: every interval on its clock, or, given a change gate, only when one of its files
 * changed, at a follow-up it asks for (something half-done that no file change will announce), and at a slow safety
 * interval. On an idle device the event loop then sleeps between the safety ticks.
 */
import type { Cancel, Clock } from '../src/clock.js';
import type { ChangeGate, GatedFile } from './change-gate.js';

export interface PollScheduleOptions {
  readonly clock: Clock;
  /** Without it, or with useInterval(), the schedule is a plain clock interval, exactly as before the gate. */
  readonly gate?: ChangeGate | undefined;
  readonly intervalMs: number;
  /** One poll; the schedule catches what it rejects with and hands it to onError. */
  readonly poll: () => Promise<void>;
  readonly onError: (err: unknown) => void;
}

export class PollSchedule {
  private cancelTimers: Cancel[] = [];
  /** What the timers now follow: 'interval', or the gated files and safety interval as one comparable string. */
  private mode: string | undefined;
  /** Files the gate refused (more than it takes, a thread it could not start): those stay on the interval. */
  private refused: string | undefined;
  private followUpAt = Infinity;
  private cancelFollowUp: Cancel | undefined;
  private running = false;
  private again = false;
  private stopped = false;

  constructor(private readonly o: PollScheduleOptions) {}

  /** True while polls wait for the gate (the collector then asks for follow-ups itself). */
  get gated(): boolean {
    return this.mode !== undefined && this.mode !== 'interval';
  }

  /** A poll every intervalMs, each on its own tick (a poll still running is the collector's to skip). */
  useInterval(): void {
    if (this.stopped || this.mode === 'interval') return;
    this.clear('interval');
    this.cancelTimers.push(this.o.clock.setInterval(() => void this.o.poll().catch(this.o.onError), this.o.intervalMs));
  }

  /**
   * Polls when one of `files` changed (checked every intervalMs off the event loop) and every `safetyMs` anyway.
   * Without a gate, the same as useInterval(). Calling it again with the same files changes nothing.
   */
  useGate(files: readonly GatedFile[], safetyMs: number): void {
    const gate = this.o.gate;
    if (gate === undefined || files.length === 0) return this.useInterval();
    const mode = `${safetyMs}\n${files.map((f) => `${f.kind} ${f.skipFields ?? 0} ${f.path}`).join('\n')}`;
    if (this.stopped || this.mode === mode) return;
    if (this.refused === mode) return this.useInterval();
    let cancelWatch: Cancel;
    try {
      cancelWatch = gate.watch(files, this.o.intervalMs, () => this.wake());
    } catch (err) {
      this.refused = mode;
      this.o.onError(err);
      return this.useInterval();
    }
    this.clear(mode);
    this.cancelTimers.push(cancelWatch, this.o.clock.setInterval(() => this.wake(), safetyMs));
  }

  /**
   * Gated only: one poll within `ms` even if no file changes (the earliest request wins; each poll clears it, so
   * a collector asks again after every poll while it still needs one). On an interval it is already coming.
   */
  followUp(ms: number): void {
    if (this.stopped || !this.gated) return;
    const at = this.o.clock.now() + Math.max(0, ms);
    if (this.cancelFollowUp !== undefined && this.followUpAt <= at) return;
    this.cancelFollowUp?.();
    this.followUpAt = at;
    this.cancelFollowUp = this.o.clock.setTimeout(() => {
      this.cancelFollowUp = undefined;
      this.followUpAt = Infinity;
      this.wake();
    }, Math.max(0, ms));
  }

  /** No poll starts after this returns (one already running finishes). */
  stop(): void {
    this.stopped = true;
    this.clear(undefined);
  }

  /**
   * A wake-up during a poll runs one more poll right after it: the running one may have read that file before
   * it changed, and the gate will not say it again.
   */
  private wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    this.cancelFollowUp?.();
    this.cancelFollowUp = undefined;
    this.followUpAt = Infinity;
    void this.o.poll().catch(this.o.onError).finally(() => {
      this.running = false;
      if (!this.again) return;
      this.again = false;
      this.wake();
    });
  }

  private clear(mode: string | undefined): void {
    for (const cancel of this.cancelTimers.splice(0)) cancel();
    this.cancelFollowUp?.();
    this.cancelFollowUp = undefined;
    this.followUpAt = Infinity;
    this.mode = mode;
  }
}
