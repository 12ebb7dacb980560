/** The local configuration file: read, validate against config-schema/local-config.schema.json, fill defaults. */
import { readFile } from 'node:fs/promises';
import type { ValidateFunction } from 'ajv';
import { UserInputError, errorMessage } from '../errors.js';
import { loadValidator } from './schema-validators.js';

export interface LocalConfig {
  connectionStringFile: string;
  trustedCaFile?: string;
  transport: 'mqtt' | 'mqtt-ws';
  stateDir: string;
  hostRoot: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  outboxMaxBytes: number;
  twinDefaults: Record<string, unknown>;
}

export const DEFAULT_CONFIG_FILE = '/etc/iot-micro-agent/config.json';
/** The system user the packaged service runs as (systemd/iot-micro-agent.service, packaging/). */
export const SERVICE_USER = 'iot-micro-agent';

let validator: ValidateFunction | undefined;
function validate(doc: unknown): string[] {
  validator ??= loadValidator('local-config');
  if (validator(doc)) return [];
  return (validator.errors ?? []).map((e) => {
    const where = e.instancePath ? e.instancePath.slice(1) : 'config';
    const extra = e.keyword === 'additionalProperties' ? ` (${String((e.params as { additionalProperty?: string }).additionalProperty).slice(0, 60)})` : '';
    return `${where}: ${e.message ?? 'invalid'}${extra}`;
  });
}

/** Validates a parsed document and fills defaults; throws UserInputError with every problem on one line. */
export function parseLocalConfig(doc: unknown, source = 'config'): LocalConfig {
  const copy: unknown = doc !== null && typeof doc === 'object' && !Array.isArray(doc) ? structuredClone(doc) : doc;
  const problems = validate(copy);
  if (problems.length > 0) throw new UserInputError(`${source}: ${problems.join('; ')}`);
  return copy as LocalConfig;
}

/** Reads the file; a missing default file means all defaults, a missing named file is an error. */
export async function loadLocalConfig(file: string | undefined): Promise<LocalConfig> {
  const path = file ?? DEFAULT_CONFIG_FILE;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (file === undefined && code === 'ENOENT') return parseLocalConfig({}, 'defaults');
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'is not readable (permission denied)' : code === 'EISDIR' ? 'is a directory' : errorMessage(err);
    throw new UserInputError(`config file ${path} ${why}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new UserInputError(`config file ${path} is not valid JSON: ${errorMessage(err)}`);
  }
  return parseLocalConfig(doc, `config file ${path}`);
}
