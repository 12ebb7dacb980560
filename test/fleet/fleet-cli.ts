/** Runs `iot-micro-agent hub ...` as a real child process against a simulated hub. */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { packageFile } from '../../src/package-root.js';
import type { SimulatedHub } from '../../src/sim-hub/index.js';

export const CLI = packageFile('dist', 'src', 'cli.js');
/** Each test starts the CLI a few times; on a loaded 2-core machine one start alone can take seconds. */
export const CLI_TEST_TIMEOUT = 120_000;

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The hub's service connection string in the environment; its CA through NODE_EXTRA_CA_CERTS unless told otherwise. */
export function hubEnv(hub: SimulatedHub, connectionString = hub.serviceConnectionString): NodeJS.ProcessEnv {
  return { PATH: process.env['PATH'], IOT_HUB_CONNECTION_STRING: connectionString, NODE_EXTRA_CA_CERTS: hub.caFile };
}

export function hubCli(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 120_000): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, 'hub', ...args], { env, timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

export function spawnHubCli(args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, [CLI, 'hub', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const guard = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', guard);
  child.once('exit', () => process.off('exit', guard));
  return child;
}

/** How many devices have the module, counted through the hub's own paged query. */
export function modulesOnHub(hub: SimulatedHub, moduleId: string): number {
  let count = 0;
  let continuation: string | undefined;
  do {
    const page = hub.service.query(`SELECT * FROM devices.modules WHERE moduleId = '${moduleId}'`, 100, continuation);
    count += page.items.length;
    continuation = page.continuation;
  } while (continuation);
  return count;
}
