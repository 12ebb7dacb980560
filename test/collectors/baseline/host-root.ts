/** Copies a baseline fixture host root to a temp dir and gives its files the modes and owners of `<name>.modes.json` (git keeps neither). */
import { chmodSync, chownSync, cpSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const FIXTURES = resolve(import.meta.dirname, '../../fixtures/baseline');
export const IS_ROOT = process.getuid?.() === 0;
export const NOT_ROOT_REASON = 'skipped: owner checks need files owned by root and the shadow group, which only root can arrange';

interface FileMode { mode: string; uid: number; gid: number; directory?: boolean }

export function materialize(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `baseline-${name}-`));
  cpSync(join(FIXTURES, name), dir, { recursive: true, verbatimSymlinks: true });
  const modes = JSON.parse(readFileSync(join(FIXTURES, `${name}.modes.json`), 'utf8')) as Record<string, FileMode>;
  for (const [path, m] of Object.entries(modes)) {
    const target = join(dir, path);
    if (m.directory) mkdirSync(target, { recursive: true });
    chmodSync(target, parseInt(m.mode, 8));
    if (IS_ROOT) chownSync(target, m.uid, m.gid);
  }
  return dir;
}
