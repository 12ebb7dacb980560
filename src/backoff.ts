/** Exponential backoff with jitter: the one place retry timing is decided. */

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  random?: () => number;
}

/** Delay before retry number `attempt` (0-based): doubling, capped, with half of it jittered. */
export function backoffDelay(attempt: number, { initialMs, maxMs, random = Math.random }: BackoffOptions): number {
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
