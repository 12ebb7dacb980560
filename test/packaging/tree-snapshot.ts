/** Every entry under a directory with what a re-install must not change: type, mode, owner, size, mtime, link target. */
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join, relative } from 'node:path';

export async function treeSnapshot(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const name of (await readdir(dir)).sort()) {
      const path = join(dir, name);
      const st = await lstat(path);
      const kind = st.isSymbolicLink() ? `link->${await readlink(path)}` : st.isDirectory() ? 'dir' : 'file';
      out.push(`${relative(root, path)} ${kind} ${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid} ${st.isDirectory() ? '' : st.size} ${st.mtimeMs}`);
      if (st.isDirectory()) await walk(path);
    }
  };
  await walk(root);
  return out;
}
