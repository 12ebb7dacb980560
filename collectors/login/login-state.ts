/** What survives a restart: file marks, open wtmp sessions and the journal cursor, in one JSON file. */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FileMark } from './incremental-file.js';
import type { OpenSession } from './wtmp-reader.js';

export interface LoginState {
  readonly files: Record<string, FileMark>;
  readonly sessions: Record<string, OpenSession>;
  readonly journalCursor?: string;
}

export const STATE_FILE = 'login-offsets.json';

function isMark(v: unknown): v is FileMark {
  if (typeof v !== 'object' || v === null) return false;
  const m = v as Record<string, unknown>;
  return [m['inode'], m['offset'], m['size']].every((n) => typeof n === 'number' && Number.isInteger(n) && n >= 0);
}

function isSession(v: unknown): v is OpenSession {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Record<string, unknown>;
  return typeof s['user'] === 'string' && typeof s['host'] === 'string' && typeof s['pid'] === 'number';
}

/** Undefined on the first run (no file); a corrupt file counts as a first run too, with a problem. */
export async function loadState(stateDir: string): Promise<{ state: LoginState | undefined; problem?: string }> {
  let text: string;
  try {
    text = await readFile(join(stateDir, STATE_FILE), 'utf8');
  } catch {
    return { state: undefined };
  }
  try {
    const raw = JSON.parse(text) as Record<string, unknown>;
    const files: Record<string, FileMark> = {};
    const sessions: Record<string, OpenSession> = {};
    for (const [k, v] of Object.entries((raw['files'] ?? {}) as object)) if (isMark(v)) files[k] = v;
    for (const [k, v] of Object.entries((raw['sessions'] ?? {}) as object)) if (isSession(v)) sessions[k] = v;
    const cursor = raw['journalCursor'];
    return { state: { files, sessions, ...(typeof cursor === 'string' ? { journalCursor: cursor } : {}) } };
  } catch {
    return { state: undefined, problem: `${STATE_FILE} is not valid JSON: starting over at the end of the login logs` };
  }
}

/** Write-then-rename, so a crash mid-write leaves the previous state. */
export async function saveState(stateDir: string, state: LoginState): Promise<void> {
  const path = join(stateDir, STATE_FILE);
  await writeFile(`${path}.tmp`, JSON.stringify(state), { mode: 0o600 });
  await rename(`${path}.tmp`, path);
}
