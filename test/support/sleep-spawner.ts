/** Runs test/support/sleep-spawner.mjs (a separate Node program spawning `sleep` children) and reports its children. */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('./sleep-spawner.mjs', import.meta.url));

export interface SpawnedSleep { readonly pid: number; readonly args: readonly string[] }

export interface SleepSpawnerRun {
  /** The spawner's own pid: the parent of every child. */
  readonly pid: number;
  /** Children as they are spawned. */
  readonly children: SpawnedSleep[];
  /** Resolves once every child has exited and the spawner with them. */
  readonly done: Promise<void>;
}

export interface SleepSpawnerOptions { count?: number; gapMs?: number; seconds?: string; ballastMb?: number }

export function runSleepSpawner(o: SleepSpawnerOptions = {}): SleepSpawnerRun {
  const child = spawn(process.execPath, [SCRIPT], {
    env: {
      ...process.env, SPAWN_COUNT: String(o.count ?? 20), SPAWN_GAP_MS: String(o.gapMs ?? 200),
      SPAWN_SECONDS: o.seconds ?? '3', SPAWN_BALLAST_MB: String(o.ballastMb ?? 0),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const guard = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', guard);
  const children: SpawnedSleep[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    const msg = JSON.parse(line) as { pid?: number; args?: string[] };
    if (msg.pid !== undefined && msg.args) children.push({ pid: msg.pid, args: msg.args });
  });
  const done = new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => {
      process.off('exit', guard);
      if (code === 0) resolve();
      else reject(new Error(`sleep spawner exited with ${code}`));
    });
  });
  return { pid: child.pid as number, children, done };
}
