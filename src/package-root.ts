/** Files shipped beside the code (schemas): found from this module, under src/ or dist/src/. */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/** The nearest ancestor of a module holding package.json: the same answer from src/ and from dist/src/. */
export function findPackageRoot(moduleUrl: string): string {
  let dir = dirname(fileURLToPath(moduleUrl));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`package root not found above ${fileURLToPath(moduleUrl)}`);
    dir = up;
  }
  return dir;
}

/** This package's root directory. */
export function packageRoot(): string {
  root ??= findPackageRoot(import.meta.url);
  return root;
}

export function packageFile(...parts: string[]): string {
  return join(packageRoot(), ...parts);
}
