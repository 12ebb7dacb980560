/** The system clock, with a log of the timers a component keeps: which intervals run now, at which period. */
import { systemClock, type Clock } from '../../src/clock.js';

export class TimerLog implements Clock {
  private readonly live = new Map<number, number>();
  private next = 0;

  now(): number {
    return systemClock.now();
  }

  setTimeout(fn: () => void, ms: number): () => void {
    return systemClock.setTimeout(fn, ms);
  }

  setInterval(fn: () => void, ms: number): () => void {
    const id = this.next++;
    this.live.set(id, ms);
    const cancel = systemClock.setInterval(fn, ms);
    return () => {
      this.live.delete(id);
      cancel();
    };
  }

  /** Periods of the intervals running now, sorted. */
  intervals(): number[] {
    return [...this.live.values()].sort((a, b) => a - b);
  }
}
