/** Validation of whole security messages against a directory of message schemas (ours or the official ones). */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ValidateFunction, ErrorObject } from 'ajv';
import { newAjv } from '../config/ajv-compiler.js';
import { packageFile } from '../package-root.js';

export interface MessageValidator {
  /** An empty array when valid; otherwise one line per problem. */
  validate(message: unknown): string[];
}

type SchemaDoc = Record<string, unknown>;

/**
 * Compiles every `*.json` in `dir` and validates against `messageRoot.json`. `extraEventSchemas` (custom
 * collectors' events, each with an `$id`) join the event types every message event must match one of.
 */
export function messageValidator(dir: string = packageFile('message-schema'), extraEventSchemas: readonly object[] = []): MessageValidator {
  // strict off: the official files use a few non-standard keywords ("boolean") that must pass unchanged.
  const ajv = newAjv({ strict: false, allErrors: true }, true);
  const docs = readdirSync(dir).filter((f) => f.endsWith('.json')).sort()
    .map((file) => JSON.parse(readFileSync(join(dir, file), 'utf8')) as SchemaDoc);
  if (extraEventSchemas.length > 0) addEventTypes(docs, extraEventSchemas as readonly SchemaDoc[]);
  for (const doc of docs) ajv.addSchema(doc);
  const root: ValidateFunction | undefined = ajv.getSchema('messageRoot.json');
  if (!root) throw new Error(`messageRoot.json not found in ${dir}`);
  return {
    validate(message) {
      if (root(message)) return [];
      return (root.errors ?? []).map((e: ErrorObject) => `${e.instancePath || '/'} ${e.message ?? 'invalid'}`);
    },
  };
}

/** Appends `extra` to the event types list of `message_v1_0.json`; an event name already in the set is refused. */
function addEventTypes(docs: SchemaDoc[], extra: readonly SchemaDoc[]): void {
  const names = new Set(docs.flatMap((d) => eventNames(d)));
  for (const schema of extra) {
    const clash = eventNames(schema).find((n) => names.has(n));
    if (clash !== undefined) throw new TypeError(`event name ${clash} is already in the message schema set`);
    for (const n of eventNames(schema)) names.add(n);
  }
  const message = docs.find((d) => d['$id'] === 'message_v1_0.json');
  const allOf = dig(message, ['properties', 'Events', 'items', 'oneOf', 0, 'allOf']);
  const types = Array.isArray(allOf) ? (allOf as SchemaDoc[]).find((s) => s['description'] === 'Event categories and types') : undefined;
  if (!Array.isArray(types?.['oneOf'])) throw new Error('message_v1_0.json has no list of event types');
  types['oneOf'] = [...(types['oneOf'] as unknown[]), ...extra.map((s) => ({ $ref: `${String(s['$id'])}#` }))];
  docs.push(...extra.map((s) => ({ ...s })));
}

function eventNames(schema: SchemaDoc): string[] {
  const e = dig(schema, ['properties', 'Name', 'enum']);
  return Array.isArray(e) ? e.filter((n): n is string => typeof n === 'string') : [];
}

function dig(value: unknown, path: readonly (string | number)[]): unknown {
  let at = value;
  for (const step of path) at = typeof at === 'object' && at !== null ? (at as Record<string | number, unknown>)[step] : undefined;
  return at;
}
