/** Small wrappers over dpkg, getent and child processes for the package tests. */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

export function has(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
export function installedVersion(pkg: string): string | undefined {
  try {
    const out = execFileSync('dpkg-query', ['-W', '-f=${Status}|${Version}', pkg], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const [status, version] = out.split('|');
    return status?.endsWith(' installed') ? version : undefined;
  } catch {
    return undefined;
  }
}
/** dpkg with the arguments; waits while another dpkg or apt holds the lock (other work on this machine). */
export async function dpkg(...args: string[]): Promise<void> {
  const end = Date.now() + 180_000;
  for (;;) {
    try {
      await run('dpkg', args);
      return;
    } catch (err) {
      if (!/lock/.test(String((err as { stderr?: string }).stderr)) || Date.now() > end) throw err;
      await new Promise((r) => setTimeout(r, 2_000));
    }
  }
}
/** Known to dpkg in any state (installed, or removed with its config files left). */
export function knownToDpkg(pkg: string): boolean {
  try {
    return !execFileSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).endsWith(' not-installed');
  } catch {
    return false;
  }
}

/** Runs a command to its end, stdout and stderr together; never throws. */
export function runToEnd(cmd: string, args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', (code) => resolve({ code, out }));
  });
}

/** Mode as 4 octal digits and the owner's name. */
export async function modeOf(path: string): Promise<{ mode: string; owner: string }> {
  const st = await stat(path);
  const name = (uid: number): string => execFileSync('getent', ['passwd', String(uid)], { encoding: 'utf8' }).split(':')[0] ?? String(uid);
  return { mode: (st.mode & 0o7777).toString(8).padStart(4, '0'), owner: name(st.uid) };
}
