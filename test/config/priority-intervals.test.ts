import { describe, expect, it } from 'vitest';
import { checkPriorityIntervals, parsePriorityIntervals } from '../../src/config/priority-intervals.js';

describe('CollectorsCore_PriorityIntervals', () => {
  it('reads the documented form as minutes', () => {
    expect(parsePriorityIntervals('30,120,1440')).toEqual({ High: 1_800_000, Medium: 7_200_000, Low: 86_400_000 });
  });

  it('reads a unit per value, mixed with bare minutes, around whitespace', () => {
    expect(parsePriorityIntervals('10s,1m,5m')).toEqual({ High: 10_000, Medium: 60_000, Low: 300_000 });
    expect(parsePriorityIntervals(' 30s , 2 ,1h ')).toEqual({ High: 30_000, Medium: 120_000, Low: 3_600_000 });
  });

  it('accepts equal values and the 1 s and 7 day bounds', () => {
    expect(parsePriorityIntervals('1s,1s,1s').Low).toBe(1_000);
    expect(parsePriorityIntervals('1s,1h,168h').Low).toBe(604_800_000);
    expect(checkPriorityIntervals('1s,1h,169h').ok).toBe(false);
  });

  it.each([
    ['30,120'], ['a,b,c'], ['0,0,0'], ['120,30,1440'], ['30,1440,120'], ['-30,120,1440'], ['30x,120,1440'],
    ['10S,1M,5M'], ['30,120,1440,1'], [''], ['30,,1440'], ['30.5,120,1440'], ['0s,1m,5m'],
  ])('rejects %j with a reason', (value) => {
    const result = checkPriorityIntervals(value);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(/\w/);
    expect(() => parsePriorityIntervals(value)).toThrow(RangeError);
  });

  it('never throws when checking a value that is not a string', () => {
    for (const v of [null, undefined, 30, ['30', '120', '1440'], { High: 1 }]) expect(checkPriorityIntervals(v).ok).toBe(false);
  });
});
