/** The desired document a fleet command sends: from --set KEY=VALUE or a file, checked with the agent's own twin schema. */
import { readFile } from 'node:fs/promises';
import { desiredSection } from '../config/validate-config-command.js';
import { toDesiredRecord, validateDesired, type InvalidKey } from '../config/desired-validation.js';
import { twinSchema } from '../config/twin-schema.js';
import { UserInputError } from '../errors.js';

const MAX_FILE_BYTES = 1024 * 1024;

/** A value typed by the schema (integer, boolean, string); `null` removes the key; other keys are kept as typed. */
function typedValue(key: string, text: string): unknown {
  if (text === 'null') return null;
  const type = Object.hasOwn(twinSchema().schema.properties, key) ? twinSchema().schema.properties[key]?.type : undefined;
  if (type === 'string') return text;
  if (type === 'integer') return /^-?\d+$/.test(text) ? Number(text) : text;
  if (type === 'boolean') return text === 'true' ? true : text === 'false' ? false : text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export function desiredFromSets(sets: string[]): Record<string, unknown> {
  const desired: Record<string, unknown> = {};
  for (const set of sets) {
    const eq = set.indexOf('=');
    if (eq <= 0) throw new UserInputError(`--set ${JSON.stringify(set.slice(0, 60))} is not KEY=VALUE`);
    desired[set.slice(0, eq)] = typedValue(set.slice(0, eq), set.slice(eq + 1));
  }
  return desired;
}

/** A desired document from a file: bare, a twin with properties.desired, or a twin GET answer. */
export async function desiredFromFile(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new UserInputError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  if (Buffer.byteLength(text) > MAX_FILE_BYTES) throw new UserInputError(`${file} is over ${MAX_FILE_BYTES} bytes`);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new UserInputError(`${file} is not valid JSON: ${(err as Error).message}`);
  }
  const desired = toDesiredRecord(desiredSection(doc));
  if (!desired) throw new UserInputError(`${file}: the desired document must be a JSON object`);
  return { ...desired };
}

/** The invalid keys of a desired patch, as the agent would judge them; `null` (remove) is never invalid. */
export function invalidKeys(desired: Record<string, unknown>): InvalidKey[] {
  const present = Object.fromEntries(Object.entries(desired).filter(([, v]) => v !== null));
  const validation = validateDesired(present);
  return validation.valid ? [] : validation.reasons;
}
