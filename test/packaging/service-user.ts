/** Runs the installed agent the way systemd/iot-micro-agent.service does: its user, its capabilities, its umask. */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const SERVICE_USER = 'iot-micro-agent';

/** `AmbientCapabilities=` of the unit, as `CAP_*` names. */
export function unitCapabilities(unitFile: string): string[] {
  const line = readFileSync(unitFile, 'utf8').split('\n').find((l) => l.startsWith('AmbientCapabilities='));
  return (line ?? '').slice('AmbientCapabilities='.length).split(/\s+/).filter((c) => c !== '');
}

/** setpriv's arguments for the service user with exactly `caps` inheritable, ambient and bounding (NoNewPrivileges too). */
export function setprivArgs(caps: readonly string[]): string[] {
  const list = ['-all', ...caps.map((c) => `+${c.replace(/^CAP_/, '').toLowerCase()}`)].join(',');
  return [
    `--reuid=${SERVICE_USER}`, `--regid=${SERVICE_USER}`, '--init-groups',
    `--inh-caps=${list}`, `--ambient-caps=${list}`, `--bounding-set=${list}`, '--no-new-privs',
  ];
}

/** The environment systemd gives a system service with User=: PATH, HOME, USER, LOGNAME, SHELL. */
export function serviceEnv(): NodeJS.ProcessEnv {
  const [, , , , , home, shell] = execFileSync('getent', ['passwd', SERVICE_USER], { encoding: 'utf8' }).trim().split(':');
  return {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: home, USER: SERVICE_USER, LOGNAME: SERVICE_USER, SHELL: shell,
  };
}

/** Starts `argv` as the service would (UMask=0077 through sh, since setpriv has no umask option). */
export function spawnAsService(caps: readonly string[], argv: readonly string[]): ChildProcess {
  return spawn('setpriv', [...setprivArgs(caps), 'sh', '-c', 'umask 077 && exec "$@"', 'sh', ...argv], {
    env: serviceEnv(), stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Runs `argv` to completion as the service; never throws for a non-zero exit. */
export async function runAsService(caps: readonly string[], argv: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('setpriv', [...setprivArgs(caps), 'sh', '-c', 'umask 077 && exec "$@"', 'sh', ...argv], {
      env: serviceEnv(), maxBuffer: 64 * 1024 * 1024, timeout: 120_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** Lines of a child's stream, as they arrive. */
export function collectLines(child: ChildProcess): string[] {
  const lines: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    let rest = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      const parts = (rest + chunk).split('\n');
      rest = parts.pop() ?? '';
      lines.push(...parts.filter((p) => p !== ''));
    });
  }
  return lines;
}
