/** Time and timers, injected everywhere so tests can drive them. */

export type Cancel = () => void;

export interface Clock {
  /** ms since the epoch */
  now(): number;
  /** One-shot timer; the returned function cancels it. Real timers are unref()'d. */
  setTimeout(fn: () => void, ms: number): Cancel;
  /** Repeating timer; the returned function cancels it. Real timers are unref()'d. */
  setInterval(fn: () => void, ms: number): Cancel;
}

/** The real clock. Timers are unref()'d so an idle agent never holds the process open by itself. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref();
    return () => clearTimeout(t);
  },
  setInterval(fn, ms) {
    const t = setInterval(fn, ms);
    t.unref();
    return () => clearInterval(t);
  },
};

/** Waits for `p` to settle, at most `ms`; never rejects. */
export async function settledWithin(p: Promise<unknown> | undefined, ms: number, clock: Clock): Promise<void> {
  if (p === undefined) return;
  let cancel: Cancel = () => undefined;
  const timeout = new Promise<void>((resolve) => {
    cancel = clock.setTimeout(resolve, ms);
  });
  await Promise.race([p.then(() => undefined, () => undefined), timeout]);
  cancel();
}
