/** The agent's id: a GUID created once and kept in the state dir; its version from package.json. */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { packageFile } from './package-root.js';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function agentVersion(): string {
  const pkg = JSON.parse(readFileSync(packageFile('package.json'), 'utf8')) as { version?: unknown };
  return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
}

/** Reads `<stateDir>/agent-id`, or creates it. Without a usable state dir the id lives for this run only. */
export async function loadAgentId(stateDir: string | undefined): Promise<{ agentId: string; persisted: boolean }> {
  if (stateDir === undefined) return { agentId: randomUUID(), persisted: false };
  const file = join(stateDir, 'agent-id');
  try {
    const text = (await readFile(file, 'utf8')).trim();
    if (GUID.test(text)) return { agentId: text.toLowerCase(), persisted: true };
  } catch {
    // absent or unreadable: create a new one below
  }
  const agentId = randomUUID();
  try {
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
    await writeFile(`${file}.tmp`, `${agentId}\n`, { mode: 0o644 });
    await rename(`${file}.tmp`, file);
    return { agentId, persisted: true };
  } catch {
    return { agentId, persisted: false };
  }
}
