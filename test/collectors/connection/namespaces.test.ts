import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { discoverNamespaces } from '../../../collectors/connection/namespaces.js';

const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});

/** A /proc with `self` and the given pids, each with its ns/net link (dangling, as procfs shows them). */
function procWith(links: Record<number, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'netns-'));
  roots.push(root);
  for (const [pid, id] of Object.entries({ self: 'net:[1]', ...links })) {
    mkdirSync(join(root, pid, 'ns'), { recursive: true });
    symlinkSync(id, join(root, pid, 'ns', 'net'));
  }
  return root;
}

describe('network namespace discovery', () => {
  it('finds one process per namespace other than ours, the lowest pid representing it', () => {
    const root = procWith({ 10: 'net:[1]', 30: 'net:[2]', 20: 'net:[2]', 40: 'net:[3]' });
    const scan = discoverNamespaces(root);
    expect(scan.namespaces).toEqual([
      { id: 'net:[1]', netDir: `${root}/net` },
      { id: 'net:[2]', netDir: `${root}/20/net`, pid: 20 },
      { id: 'net:[3]', netDir: `${root}/40/net`, pid: 40 },
    ]);
    expect([...scan.links]).toEqual([[10, 'net:[1]'], [20, 'net:[2]'], [30, 'net:[2]'], [40, 'net:[3]']]);
  });

  it('given the links of the scan before, reads only pids not listed then', () => {
    const root = procWith({ 10: 'net:[1]', 20: 'net:[1]', 50: 'net:[5]' });
    // pid 20's link now says net:[1], but the scan before knew it as net:[2]: not reread. pid 50 is new: read.
    const scan = discoverNamespaces(root, new Map([[10, 'net:[1]'], [20, 'net:[2]'], [99, 'net:[9]']]));
    expect(scan.namespaces.map((ns) => [ns.id, ns.pid])).toEqual([['net:[1]', undefined], ['net:[2]', 20], ['net:[5]', 50]]);
    // a pid gone since is forgotten
    expect(scan.links.has(99)).toBe(false);
  });
});
