/** Validation of whole security messages against a directory of message schemas (ours or the official ones). */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction, type ErrorObject } from 'ajv';
import addFormatsPkg from 'ajv-formats';
import { packageFile } from '../package-root.js';

const addFormats = addFormatsPkg as unknown as (ajv: Ajv) => Ajv;

export interface MessageValidator {
  /** An empty array when valid; otherwise one line per problem. */
  validate(message: unknown): string[];
}

/** Compiles every `*.json` in `dir` and validates against `messageRoot.json`. */
export function messageValidator(dir: string = packageFile('message-schema')): MessageValidator {
  // strict off: the official files use a few non-standard keywords ("boolean") that must pass unchanged.
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    ajv.addSchema(JSON.parse(readFileSync(join(dir, file), 'utf8')) as object);
  }
  const root: ValidateFunction | undefined = ajv.getSchema('messageRoot.json');
  if (!root) throw new Error(`messageRoot.json not found in ${dir}`);
  return {
    validate(message) {
      if (root(message)) return [];
      return (root.errors ?? []).map((e: ErrorObject) => `${e.instancePath || '/'} ${e.message ?? 'invalid'}`);
    },
  };
}
