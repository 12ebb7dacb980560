/**
 * stop() releases everything: a gateway process that started and stopped an agent exits by itself (no
 * process.exit), while the simulated hub it talked to stays up in this process. Needs dist/ (`npm test` builds it).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SimulatedHub } from '../../src/sim-hub/entry.js';

const CHILD = join(import.meta.dirname, 'children', 'start-stop-agent.mjs');
/** Generous: stop() itself is bounded by 10 s; this only ends a child that would otherwise never exit. */
const EXIT_WAIT_MS = 45_000;
let hub: SimulatedHub | undefined;
let dir: string | undefined;

afterAll(async () => {
  await hub?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('after agent.stop()', () => {
  it('the process exits on its own, with nothing on stdout and no process listeners left behind', async () => {
    dir = await mkdtemp(join(tmpdir(), 'exit-after-stop-'));
    hub = await SimulatedHub.start({ stateDir: join(dir, 'hub') });
    const identity = hub.createModule('exiting-gateway');
    const child = spawn(process.execPath, [CHILD], {
      env: { ...process.env, AGENT_CS: identity.connectionString, AGENT_CA_FILE: hub.caFile, AGENT_STATE_DIR: join(dir, 'agent') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString('utf8'); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString('utf8'); });
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'lingering'>((resolve) => { timer = setTimeout(() => resolve('lingering'), EXIT_WAIT_MS); });
    const outcome = await Promise.race([exited, deadline]);
    clearTimeout(timer);
    if (outcome === 'lingering') child.kill('SIGKILL');
    expect(outcome, `the child did not exit after stop():\n${stderr}`).toEqual([0, null]);
    const report = stderr.split('\n').filter((l) => l.startsWith('{"stopped"')).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(report).toEqual([{ stopped: true, addedWhileRunning: [], addedAfterStop: [] }]);
    expect(stdout).toBe('');
    // It did talk to the hub before stopping.
    expect(hub.getTwin('exiting-gateway', 'DefenderIotMicroAgent').reported['latest_state']).toBe('success');
  }, 120_000);
});
