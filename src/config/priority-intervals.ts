/** CollectorsCore_PriorityIntervals: "<High>,<Medium>,<Low>", minutes by default, or with an s/m/h unit per value. */

export interface PriorityIntervals {
  readonly High: number;
  readonly Medium: number;
  readonly Low: number;
}

export type PriorityIntervalsCheck =
  | { readonly ok: true; readonly value: PriorityIntervals }
  | { readonly ok: false; readonly reason: string };

export const MIN_PRIORITY_INTERVAL_MS = 1_000;
export const MAX_PRIORITY_INTERVAL_MS = 7 * 24 * 3_600_000;

const UNIT_MS: Readonly<Record<string, number>> = { s: 1_000, m: 60_000, h: 3_600_000 };
const VALUE = /^([0-9]{1,7})([smh]?)$/;

/** Checks the format, the bounds and High <= Medium <= Low; never throws. */
export function checkPriorityIntervals(input: unknown): PriorityIntervalsCheck {
  if (typeof input !== 'string') return { ok: false, reason: 'must be a string "<High>,<Medium>,<Low>"' };
  if (input.length > 64) return { ok: false, reason: 'must be at most 64 characters' };
  const parts = input.split(',');
  if (parts.length !== 3) {
    return { ok: false, reason: `needs exactly 3 comma-separated values (High,Medium,Low), got ${parts.length}` };
  }
  const ms: number[] = [];
  for (const [i, raw] of parts.entries()) {
    const name = (['High', 'Medium', 'Low'] as const)[i] ?? '?';
    const m = VALUE.exec(raw.trim());
    if (!m) return { ok: false, reason: `${name} must be a whole number of minutes, optionally with a unit s, m or h` };
    const value = Number(m[1]) * (UNIT_MS[m[2] || 'm'] ?? 60_000);
    if (value < MIN_PRIORITY_INTERVAL_MS) return { ok: false, reason: `${name} must be at least 1 second` };
    if (value > MAX_PRIORITY_INTERVAL_MS) return { ok: false, reason: `${name} must be at most 7 days` };
    ms.push(value);
  }
  const [High = 0, Medium = 0, Low = 0] = ms;
  if (High > Medium || Medium > Low) return { ok: false, reason: 'must satisfy High <= Medium <= Low' };
  return { ok: true, value: { High, Medium, Low } };
}

/** The three intervals in milliseconds; throws a RangeError on an invalid value (validated values never do). */
export function parsePriorityIntervals(input: string): PriorityIntervals {
  const result = checkPriorityIntervals(input);
  if (!result.ok) throw new RangeError(`CollectorsCore_PriorityIntervals ${result.reason}`);
  return result.value;
}
