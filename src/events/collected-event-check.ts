/** Checks an event a collector emits before it enters the pipeline, so a bad one is refused where it comes from. */
import type { CollectedEvent } from './event.js';

const CATEGORIES: ReadonlySet<unknown> = new Set(['Periodic', 'Triggered']);
const EVENT_TYPES: ReadonlySet<unknown> = new Set(['Security', 'Operational', 'Diagnostic']);
/** Years 0000-9999 only: the envelope writes ISO 8601 timestamps, and a larger year is not a valid date-time. */
const MAX_TIME = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
/** Room for the host's UTC offset, which the local timestamp adds (at most 14 h); 1969 in local time is still a valid year. */
const OFFSET_MARGIN_MS = 14 * 3_600_000;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function valueProblem(field: string, value: unknown): string | undefined {
  if (typeof value === 'string' || typeof value === 'boolean') return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : `payload field ${field} is not a finite number`;
  if (isPlainObject(value)) {
    return Object.values(value).every((v) => typeof v === 'string') ? undefined : `payload field ${field} must map strings to strings`;
  }
  return `payload field ${field} has a value of type ${value === null ? 'null' : typeof value}`;
}

/** Why `event` cannot be sent (one short line), or undefined when it is well-formed. */
export function collectedEventProblem(event: unknown): string | undefined {
  if (!isPlainObject(event)) return 'the event is not an object';
  const e = event as Partial<Record<keyof CollectedEvent, unknown>>;
  if (typeof e.name !== 'string' || e.name === '') return 'the event has no name';
  if (!CATEGORIES.has(e.category)) return `${e.name}: category must be Periodic or Triggered`;
  if (!EVENT_TYPES.has(e.eventType)) return `${e.name}: eventType must be Security, Operational or Diagnostic`;
  if (typeof e.time !== 'number' || !Number.isFinite(e.time) || e.time < 0 || e.time > MAX_TIME - OFFSET_MARGIN_MS) {
    return `${e.name}: time ${String(e.time).slice(0, 40)} is not a time between 1970 and 9999 in ms`;
  }
  if (e.payloadSchemaVersion !== undefined && typeof e.payloadSchemaVersion !== 'string') return `${e.name}: payloadSchemaVersion must be a string`;
  if (e.aggregationKey !== undefined && typeof e.aggregationKey !== 'string') return `${e.name}: aggregationKey must be a string`;
  if (!Array.isArray(e.payload)) return `${e.name}: payload must be an array`;
  if (e.payload.length === 0 && e.category !== 'Periodic') return `${e.name}: only a Periodic event may have an empty payload`;
  for (const item of e.payload as unknown[]) {
    if (!isPlainObject(item)) return `${e.name}: a payload item is not an object`;
    for (const [field, value] of Object.entries(item)) {
      const problem = valueProblem(field.slice(0, 40), value);
      if (problem !== undefined) return `${e.name}: ${problem}`;
    }
  }
  return undefined;
}
