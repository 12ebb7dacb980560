/** When each priority's events leave: one timer per priority, the first send offset by a random delay. */
import type { Cancel, Clock } from '../clock.js';

export type Priority = 'High' | 'Medium' | 'Low';
export const PRIORITIES: readonly Priority[] = ['High', 'Medium', 'Low'];

/** Send intervals in ms (the agent parses `CollectorsCore_PriorityIntervals` minutes into these). */
export interface PriorityIntervals {
  readonly High: number;
  readonly Medium: number;
  readonly Low: number;
}

export interface CollectorSchedule {
  /** The twin name of the collector, e.g. `Process`; `Statistics` turns on the statistics events. */
  readonly name: string;
  /** `<Collector>_MessageFrequency` */
  readonly frequency: Priority;
  /** `<Collector>_CacheSize`: aggregated events held between sends. */
  readonly cacheSize: number;
}

/** The micro agent's defaults: 30, 120 and 1440 minutes. */
/** The schedule of each named collector from its `<Name>_MessageFrequency` and `<Name>_CacheSize` keys. */
export function collectorSchedules(names: readonly string[], values: Readonly<Record<string, unknown>>): CollectorSchedule[] {
  return names.map((name) => ({
    name,
    frequency: (values[`${name}_MessageFrequency`] ?? 'Medium') as Priority,
    cacheSize: typeof values[`${name}_CacheSize`] === 'number' ? (values[`${name}_CacheSize`] as number) : 256,
  }));
}

export const DEFAULT_PRIORITY_INTERVALS: PriorityIntervals = {
  High: 30 * 60_000,
  Medium: 120 * 60_000,
  Low: 1440 * 60_000,
};

/** Upper bound of the start offset: a fleet that reboots together spreads over this window. */
export const DEFAULT_START_JITTER_MS = 30_000;

/** Delay of the first send: uniform in [0, min(interval, maxJitterMs)). */
export function startDelay(intervalMs: number, random: () => number, maxJitterMs: number): number {
  const r = Math.min(Math.max(random(), 0), 1 - Number.EPSILON);
  return Math.floor(Math.min(intervalMs, maxJitterMs) * r);
}

export function validateIntervals(intervals: PriorityIntervals): void {
  for (const p of PRIORITIES) {
    const v = intervals[p];
    if (!Number.isFinite(v) || v <= 0) throw new RangeError(`priority interval ${p} must be a positive number of ms, got ${v}`);
  }
}

interface Running {
  interval: number;
  cancel: Cancel;
  nextAt: number;
}

export class PrioritySchedule {
  private readonly running = new Map<Priority, Running>();

  constructor(
    private readonly clock: Clock,
    private readonly random: () => number,
    private readonly maxStartJitterMs: number,
    private readonly onTick: (priority: Priority) => void,
  ) {}

  /**
   * Starts or re-times the timers. A priority whose interval did not change keeps its phase; a new or
   * changed one starts again with a random offset, so a fleet-wide twin change spreads like a reboot.
   */
  apply(intervals: PriorityIntervals): void {
    validateIntervals(intervals);
    for (const p of PRIORITIES) {
      const interval = intervals[p];
      const current = this.running.get(p);
      if (current !== undefined && current.interval === interval) continue;
      current?.cancel();
      this.start(p, interval);
    }
  }

  /** When the next send of a priority is due (ms since epoch), for stats and tests. */
  nextSendAt(priority: Priority): number | undefined {
    return this.running.get(priority)?.nextAt;
  }

  stop(): void {
    for (const r of this.running.values()) r.cancel();
    this.running.clear();
  }

  private start(priority: Priority, interval: number): void {
    const delay = startDelay(interval, this.random, this.maxStartJitterMs);
    const state: Running = { interval, nextAt: this.clock.now() + delay, cancel: () => {} };
    this.running.set(priority, state);
    const fire = (): void => {
      state.nextAt = this.clock.now() + interval;
      this.onTick(priority);
    };
    state.cancel = this.clock.setTimeout(() => {
      state.cancel = this.clock.setInterval(fire, interval);
      fire();
    }, delay);
  }
}
