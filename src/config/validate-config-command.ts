/** Offline check of a desired document (bare, or a twin with properties.desired): exit 0 valid, 1 invalid, 2 unreadable. */
import { readFile, stat } from 'node:fs/promises';
import { boundKey, isPlainObject, toDesiredRecord, validateDesired, type DesiredValidation } from './desired-validation.js';
import type { CompiledTwinSchema } from './twin-schema.js';

/** Far above the hub's 32 KB desired limit; refuses to read anything that cannot be a twin. */
const MAX_FILE_BYTES = 1024 * 1024;

function describeReadError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'does not exist';
  if (code === 'EACCES') return 'is not readable (permission denied)';
  if (code === 'EISDIR') return 'is a directory';
  return `cannot be read (${code ?? (error as Error).message})`;
}

/**
 * The desired section: a twin's `properties.desired`, a twin GET answer's `desired` (beside `reported`),
 * otherwise the document itself.
 */
export function desiredSection(doc: unknown): unknown {
  if (!isPlainObject(doc)) return doc;
  const own = (o: Record<string, unknown>, k: string): unknown => (Object.prototype.hasOwnProperty.call(o, k) ? o[k] : undefined);
  const properties = own(doc, 'properties');
  if (isPlainObject(properties) && isPlainObject(properties['desired'])) return properties['desired'];
  const desired = own(doc, 'desired');
  if (isPlainObject(desired) && Object.keys(doc).every((k) => k === 'desired' || k === 'reported')) return desired;
  return doc;
}

/**
 * The whole check of validate-config on a parsed document (also the web console's): its desired section, nulls
 * dropped; `schema`: the built-in one, or one composed with a gateway's custom collectors' keys.
 */
export function validateDesiredDocument(doc: unknown, schema?: CompiledTwinSchema): { validation: DesiredValidation; keysSet: number } {
  const section = desiredSection(doc);
  const desired = toDesiredRecord(section);
  // As in the agent: null removes a key (the hub stores none), so it is never invalid.
  if (desired) for (const key of Object.keys(desired)) if (desired[key] === null) delete desired[key];
  return { validation: validateDesired(desired ?? section, schema), keysSet: Object.keys(desired ?? {}).length };
}

export async function validateConfigCommand(
  file: string,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
  schema?: CompiledTwinSchema,
): Promise<number> {
  const shown = boundKey(file, 200);
  let text: string;
  try {
    const info = await stat(file);
    if (info.isFile() && info.size > MAX_FILE_BYTES) {
      err.write(`validate-config: ${shown} is too large (${info.size} bytes, at most ${MAX_FILE_BYTES})\n`);
      return 2;
    }
    text = await readFile(file, 'utf8');
  } catch (error) {
    err.write(`validate-config: ${shown} ${describeReadError(error)}\n`);
    return 2;
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    err.write(`validate-config: ${shown} is not valid JSON: ${(error as Error).message}\n`);
    return 2;
  }
  const { validation, keysSet } = validateDesiredDocument(doc, schema);
  if (validation.valid) {
    out.write(`${shown}: valid (${keysSet} keys set)\n`);
    return 0;
  }
  for (const { key, reason } of validation.reasons) {
    out.write(`${shown}: ${key === '' ? '(document)' : boundKey(key)}: ${reason}\n`);
  }
  out.write(`${shown}: invalid (${validation.invalidFields.length} invalid keys)\n`);
  return 1;
}
