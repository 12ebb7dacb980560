/** A deterministic Clock for tests: time moves only when the test advances it. */
import type { Cancel, Clock } from '../../src/clock.js';

interface Timer {
  id: number;
  at: number;
  fn: () => void;
  every: number | undefined;
}

export class FakeClock implements Clock {
  private current: number;
  private timers: Timer[] = [];
  private nextId = 1;

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): Cancel {
    return this.add(fn, ms, undefined);
  }

  setInterval(fn: () => void, ms: number): Cancel {
    return this.add(fn, ms, Math.max(1, ms));
  }

  /** Timers still pending, for assertions like "the delivery loop waits". */
  pending(): number {
    return this.timers.length;
  }

  /** Due time of the earliest pending timer, or undefined. */
  nextDue(): number | undefined {
    let min: number | undefined;
    for (const t of this.timers) if (min === undefined || t.at < min) min = t.at;
    return min;
  }

  /** Moves time forward, firing due timers in order and letting promise chains settle between them. */
  async advance(ms: number): Promise<void> {
    const end = this.current + ms;
    for (;;) {
      await settle();
      const next = this.earliest();
      if (next === undefined || next.at > end) break;
      this.current = Math.max(this.current, next.at);
      if (next.every === undefined) this.timers = this.timers.filter((t) => t !== next);
      else next.at += next.every;
      next.fn();
    }
    this.current = end;
    await settle();
  }

  private earliest(): Timer | undefined {
    let best: Timer | undefined;
    for (const t of this.timers) if (best === undefined || t.at < best.at || (t.at === best.at && t.id < best.id)) best = t;
    return best;
  }

  private add(fn: () => void, ms: number, every: number | undefined): Cancel {
    const timer: Timer = { id: this.nextId++, at: this.current + Math.max(0, ms), fn, every };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((t) => t !== timer);
    };
  }
}

/** Lets pending promise callbacks (and a macrotask turn) run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
