/**
 * What importing the root entry does to a gateway's process: it loads none of the simulator's modules (aedes,
 * @peculiar/x509, reflect-metadata, src/sim-hub) and not ajv's compiler, adds no process listeners and writes nothing to stdout.
 * A child node with a loader hook records every module it loads; dist/ must be built (`npm test` does).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageFile } from '../../src/package-root.js';

const run = promisify(execFile);
const CHILDREN = join(import.meta.dirname, 'children');
const SIMULATOR = /\/node_modules\/(aedes|@peculiar\/x509|reflect-metadata)\/|\/dist\/src\/sim-hub\//;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'root-entry-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function importIn(entry: string): Promise<{ loaded: string[]; stdout: string; report: { exports: string[]; added: string[] } }> {
  const loads = join(dir, `${entry.replace(/\W/g, '_')}.txt`);
  const { stdout, stderr } = await run(process.execPath, ['--import', join(CHILDREN, 'record-loads.mjs'), join(CHILDREN, 'import-entry.mjs'), packageFile('dist', 'src', entry)], {
    env: { ...process.env, LOADS_FILE: loads }, timeout: 60_000,
  });
  const loaded = (await readFile(loads, 'utf8')).split('\n').filter(Boolean);
  return { loaded, stdout, report: JSON.parse(stderr.trim().split('\n').pop() ?? '{}') as { exports: string[]; added: string[] } };
}

describe('importing iot-micro-agent', () => {
  it('loads the agent and the SDK but none of the simulated hub\'s modules, adds no process listeners, prints nothing', async () => {
    const { loaded, stdout, report } = await importIn('index.js');
    expect(loaded.some((u) => u.endsWith('/dist/src/agent.js'))).toBe(true);
    expect(loaded.some((u) => u.includes('/node_modules/azure-iot-device/'))).toBe(true);
    expect(loaded.filter((u) => SIMULATOR.test(u))).toEqual([]);
    // the build's standalone validators do the run path's validation: ajv's compiler is loaded only for custom collectors
    expect(loaded.filter((u) => /\/node_modules\/(ajv\/dist\/(ajv|core)\.js|ajv-formats\/)/.test(u))).toEqual([]);
    expect(report.exports).toEqual(['AgentError', 'MicroAgent', 'NotConnectedError', 'TimeoutError', 'UserInputError', 'agentSchemas', 'defineCollector']);
    expect(report.added).toEqual([]);
    expect(stdout).toBe('');
  }, 90_000);

  it('iot-micro-agent/sim-hub does load them (the recorder sees what it should)', async () => {
    const { loaded, report } = await importIn('sim-hub/entry.js');
    expect(loaded.some((u) => u.includes('/node_modules/aedes/'))).toBe(true);
    expect(report.exports).toContain('SimulatedHub');
  }, 90_000);
});
