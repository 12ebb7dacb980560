/** Files shipped beside the code (schemas): found from this module, under src/ or dist/src/. */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/** The package's root directory: the nearest ancestor holding package.json. */
export function packageRoot(): string {
  if (root !== undefined) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('package root not found');
    dir = up;
  }
  root = dir;
  return dir;
}

export function packageFile(...parts: string[]): string {
  return join(packageRoot(), ...parts);
}
