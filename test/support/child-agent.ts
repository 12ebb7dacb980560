/** Starts test/support/stream-agent.mjs as a child process and always lets a test kill it. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { SimulatedHub, ModuleIdentity } from '../../src/sim-hub/index.js';

const SCRIPT = fileURLToPath(new URL('./stream-agent.mjs', import.meta.url));

export interface ChildAgent {
  readonly process: ChildProcess;
  /** The child's log lines (pino JSON, parsed). */
  readonly logs: Record<string, unknown>[];
  /** Events produced so far, from the child's last progress line. */
  produced(): { produced: number; unique: number };
  /** SIGKILL (default) and wait for the exit; no-op when it has already exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** `rate`: events per second per kind (default 40); `intervals`: CollectorsCore_PriorityIntervals (default 1s,1s,1s). */
export interface ChildAgentOptions { rate?: number; intervals?: string }

export function startChildAgent(hub: SimulatedHub, identity: ModuleIdentity, stateDir: string, prefix: string, options: ChildAgentOptions = {}): ChildAgent {
  const child = spawn(process.execPath, [SCRIPT], {
    env: {
      ...process.env, AGENT_CS: identity.connectionString, AGENT_CA_FILE: hub.caFile, AGENT_STATE_DIR: stateDir,
      STREAM_PREFIX: prefix, STREAM_RATE: String(options.rate ?? 40), STREAM_INTERVALS: options.intervals ?? '1s,1s,1s',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  let last = { produced: 0, unique: 0 };
  // Should the test runner's worker exit first, the child must not outlive it.
  const orphanGuard = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', orphanGuard);
  const exited = new Promise<void>((resolve) => child.once('exit', () => {
    process.off('exit', orphanGuard);
    resolve();
  }));
  lines(child.stdout, (line) => {
    try {
      logs.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      logs.push({ msg: line });
    }
  });
  lines(child.stderr, (line) => {
    try {
      last = JSON.parse(line) as typeof last;
    } catch {
      logs.push({ level: 50, msg: line });
    }
  });
  return {
    process: child,
    logs,
    produced: () => last,
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

function lines(stream: NodeJS.ReadableStream | null, onLine: (line: string) => void): void {
  let rest = '';
  stream?.setEncoding('utf8');
  stream?.on('data', (chunk: string) => {
    const parts = (rest + chunk).split('\n');
    rest = parts.pop() ?? '';
    for (const p of parts) if (p.trim() !== '') onLine(p);
  });
}
