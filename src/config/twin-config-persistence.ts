/** Reads and atomically writes the accepted desired document in the state dir. */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { isPlainObject, toDesiredRecord, validateDesired, type DesiredRecord } from './desired-validation.js';
import type { CompiledTwinSchema } from './twin-schema.js';

export const TWIN_CONFIG_FILE = 'twin-config.json';
const FORMAT = 1;

export interface PersistedTwinConfig {
  readonly desired: DesiredRecord;
  readonly version: number | undefined;
}

export type PersistedRead =
  | { readonly kind: 'absent' }
  | { readonly kind: 'ok'; readonly value: PersistedTwinConfig }
  | { readonly kind: 'corrupt'; readonly reason: string };

export function twinConfigPath(stateDir: string): string {
  return join(stateDir, TWIN_CONFIG_FILE);
}

/** A corrupt or invalid file is reported, never thrown: the agent then starts from its defaults. */
export function readPersistedTwinConfig(stateDir: string, schema?: CompiledTwinSchema): PersistedRead {
  let text: string;
  try {
    text = readFileSync(twinConfigPath(stateDir), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'absent' };
    return { kind: 'corrupt', reason: `unreadable: ${(error as Error).message}` };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { kind: 'corrupt', reason: 'not valid JSON' };
  }
  if (!isPlainObject(parsed) || parsed['format'] !== FORMAT) return { kind: 'corrupt', reason: `not a format ${FORMAT} document` };
  const desired = toDesiredRecord(parsed['desired']);
  if (desired === undefined) return { kind: 'corrupt', reason: '"desired" is not an object' };
  const validation = validateDesired(desired, schema);
  if (!validation.valid) return { kind: 'corrupt', reason: `invalid keys: ${validation.invalidFields.slice(0, 10).join(', ')}` };
  const version = parsed['version'];
  return { kind: 'ok', value: { desired, version: Number.isSafeInteger(version) ? (version as number) : undefined } };
}

/** Write to a temporary file, fsync, then rename, so a crash leaves the old file or the new one. */
export function writePersistedTwinConfig(stateDir: string, value: PersistedTwinConfig, now: Date = new Date()): void {
  const target = twinConfigPath(stateDir);
  const temp = `${target}.${process.pid}.tmp`;
  const body = `${JSON.stringify({ format: FORMAT, version: value.version ?? null, savedAt: now.toISOString(), desired: value.desired }, null, 2)}\n`;
  try {
    const fd = openSync(temp, 'w', 0o644);
    try {
      writeSync(fd, body);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, target);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}
