/** Validates a whole desired document: JSON Schema first, then the cross-field rules; never throws. */
import type { ErrorObject } from 'ajv';
import { baselineFilterProblems } from '../../collectors/baseline/catalogue.js';
import { checkPriorityIntervals } from './priority-intervals.js';
import { twinSchema, type CompiledTwinSchema } from './twin-schema.js';

/** The hub's bookkeeping keys, removed before validation. */
export const IGNORED_DESIRED_KEYS: readonly string[] = ['$version', '$metadata'];

export interface InvalidKey {
  /** The offending top-level key; '' when the document itself is not an object. */
  readonly key: string;
  readonly reason: string;
}

export type DesiredValidation =
  | { readonly valid: true }
  | { readonly valid: false; readonly invalidFields: string[]; readonly reasons: InvalidKey[] };

export type DesiredRecord = Record<string, unknown>;

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Null-prototype copy of the own keys (so `__proto__`/`constructor` are plain data), without $version/$metadata. */
export function toDesiredRecord(value: unknown): DesiredRecord | undefined {
  if (!isPlainObject(value)) return undefined;
  const out = Object.create(null) as DesiredRecord;
  for (const key of Object.keys(value)) {
    if (IGNORED_DESIRED_KEYS.includes(key)) continue;
    out[key] = Object.getOwnPropertyDescriptor(value, key)?.value;
  }
  return out;
}

/** A key as it may appear in a log line: bounded, control characters escaped by JSON. */
export function boundKey(key: string, max = 64): string {
  const cut = key.length > max ? `${key.slice(0, max)}…(${key.length} chars)` : key;
  return JSON.stringify(cut).slice(1, -1);
}

const PATTERN_HINTS: Readonly<Record<string, string>> = {
  NetworkActivity_Devices: 'must be comma-separated interface names of 1 to 15 characters, e.g. "eth0,eth1"',
  Baseline_ChecksDisabled: 'must be comma-separated check IDs, e.g. "3.3.5,2.2.1.1"',
  FileSystem_Paths: 'must be comma-separated absolute paths, e.g. "/etc,/usr/bin"',
};

/** The pattern of the built-in free-text keys. */
const NO_CONTROL_CHARACTERS = '^[^\\u0000-\\u001f\\u007f]*$';

function topLevelKey(error: ErrorObject): string {
  if (error.keyword === 'additionalProperties') {
    const extra = (error.params as { additionalProperty?: unknown }).additionalProperty;
    return typeof extra === 'string' ? extra : '';
  }
  const first = error.instancePath.split('/')[1];
  return first === undefined ? '' : first.replace(/~1/g, '/').replace(/~0/g, '~');
}

function reasonOf(key: string, error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties': return 'unknown key';
    case 'type': return params['type'] === 'integer' ? 'must be a whole number' : `must be a ${String(params['type'])}`;
    case 'enum': {
      const allowed = params['allowedValues'] as unknown[];
      const text = allowed.map((v) => JSON.stringify(v)).join(', ');
      return allowed.every((v) => typeof v === 'string') ? `must be one of ${text} (case-sensitive)` : `must be one of ${text}`;
    }
    case 'minimum': return `must be >= ${String(params['limit'])}`;
    case 'maximum': return `must be <= ${String(params['limit'])}`;
    case 'minLength': return params['limit'] === 1 ? 'must not be empty' : `must be at least ${String(params['limit'])} characters`;
    case 'maxLength': return `must be at most ${String(params['limit'])} characters`;
    case 'pattern': return PATTERN_HINTS[key] ?? (params['pattern'] === NO_CONTROL_CHARACTERS ? 'must not contain control characters' : `must match ${String(params['pattern'])}`);
    default: return error.message ?? error.keyword;
  }
}

/**
 * Validates a desired document (already stripped of $version/$metadata); every problem is tagged with its key.
 * `schema` is the built-in one, or the agent's with its custom collectors' keys.
 */
export function validateDesired(doc: unknown, schema: CompiledTwinSchema = twinSchema()): DesiredValidation {
  if (!isPlainObject(doc)) {
    return { valid: false, invalidFields: [], reasons: [{ key: '', reason: 'the desired document must be a JSON object' }] };
  }
  const byKey = new Map<string, string[]>();
  const add = (key: string, reason: string): void => {
    const list = byKey.get(key) ?? [];
    if (!list.includes(reason)) list.push(reason);
    byKey.set(key, list);
  };
  for (const error of schema.validate(doc)) {
    const key = topLevelKey(error);
    add(key, key === 'CollectorsCore_PriorityIntervals' && error.keyword !== 'type' ? '' : reasonOf(key, error));
  }
  // Cross-field rule (and the friendlier reason for a malformed string): High <= Medium <= Low.
  const intervals = Object.getOwnPropertyDescriptor(doc, 'CollectorsCore_PriorityIntervals')?.value;
  if (typeof intervals === 'string') {
    const check = checkPriorityIntervals(intervals);
    if (!check.ok) add('CollectorsCore_PriorityIntervals', check.reason);
  }
  // Cross-field rule: disabled Baseline checks and groups must exist in the check catalogue.
  for (const p of baselineFilterProblems(doc)) if (!byKey.has(p.key)) add(p.key, p.reason);
  if (byKey.size === 0) return { valid: true };
  const invalidFields = [...byKey.keys()].sort();
  const reasons = invalidFields.map((key) => ({
    key,
    reason: (byKey.get(key) ?? []).filter((r) => r !== '').join('; ') || 'is invalid',
  }));
  return { valid: false, invalidFields, reasons };
}
