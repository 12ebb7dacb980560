/** The system clock, recording the period of every setInterval asked of it (which polls a collector still runs). */
import { systemClock, type Cancel, type Clock } from '../../src/clock.js';

export class TimerRecordingClock implements Clock {
  readonly intervals: number[] = [];

  now(): number {
    return systemClock.now();
  }

  setTimeout(fn: () => void, ms: number): Cancel {
    return systemClock.setTimeout(fn, ms);
  }

  setInterval(fn: () => void, ms: number): Cancel {
    this.intervals.push(ms);
    return systemClock.setInterval(fn, ms);
  }
}
