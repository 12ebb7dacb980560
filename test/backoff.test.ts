import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../src/backoff.js';

describe('backoff', () => {
  it('doubles up to the cap and jitters within the upper half', () => {
    const opts = { initialMs: 1000, maxMs: 60_000 };
    expect(backoffDelay(0, { ...opts, random: () => 0 })).toBe(500);
    expect(backoffDelay(0, { ...opts, random: () => 1 })).toBe(1000);
    expect(backoffDelay(3, { ...opts, random: () => 1 })).toBe(8000);
    expect(backoffDelay(20, { ...opts, random: () => 1 })).toBe(60_000);
    expect(backoffDelay(20, { ...opts, random: () => 0 })).toBe(30_000);
  });

  it('makes at most a few attempts in ten seconds', () => {
    let t = 0;
    let attempts = 0;
    for (let i = 0; t < 10_000; i++) {
      attempts++;
      t += backoffDelay(i, { initialMs: 1000, maxMs: 60_000, random: () => 0 });
    }
    expect(attempts).toBeLessThanOrEqual(6);
  });
});
