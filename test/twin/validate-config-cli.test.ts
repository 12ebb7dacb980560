import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('../../dist/src/cli.js', import.meta.url));

interface Run { code: number | null; stdout: string; stderr: string }

function runCli(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 15_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : null;
      resolve({ code, stdout, stderr });
    });
  });
}

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '');
}

let dir = '';
beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npx tsc -p . first`);
  dir = await mkdtemp(join(tmpdir(), 'validate-config-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

describe('iot-micro-agent validate-config FILE (compiled CLI)', () => {
  it('exits 0 for a valid bare desired document and for a twin with properties.desired', async () => {
    const bare = await file('bare.json', JSON.stringify({ Heartbeat_Disabled: true, CollectorsCore_PriorityIntervals: '10s,1m,5m' }));
    const twin = await file('twin.json', JSON.stringify({ properties: { desired: { Process_Mode: 3, $version: 4 }, reported: { x: 1 } } }));
    for (const path of [bare, twin]) {
      const run = await runCli('validate-config', path);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toContain('valid');
      expect(run.stderr).toBe('');
    }
  });

  it('exits 1 for an invalid document and prints each invalid key with its reason', async () => {
    const path = await file('bad.json', JSON.stringify({ Process_Mode: 7, Login_UsePAM: 'yes', Foo: 1, Login_CacheSize: 300 }));
    const run = await runCli('validate-config', path);
    expect(run.code).toBe(1);
    const out = lines(run.stdout);
    for (const [key, reason] of [['Foo', 'unknown key'], ['Login_UsePAM', 'must be a boolean'], ['Process_Mode', 'must be one of']] as const) {
      expect(out.some((l) => l.includes(`: ${key}: ${reason}`)), `${key} in:\n${run.stdout}`).toBe(true);
    }
    expect(run.stdout).not.toContain('Login_CacheSize');
    expect(out.at(-1)).toContain('invalid (3 invalid keys)');
  });

  it('exits 2 with one line and no stack trace for a file that is not JSON, missing or a directory', async () => {
    const notJson = await file('not.json', '{"Process_Mode": 3,');
    for (const path of [notJson, join(dir, 'missing.json'), dir]) {
      const run = await runCli('validate-config', path);
      expect(run.code, path).toBe(2);
      expect(lines(run.stderr), run.stderr).toHaveLength(1);
      expect(run.stderr).toMatch(/^validate-config: /);
      expect(run.stderr).not.toMatch(/\n\s+at /);
      expect(run.stdout).toBe('');
    }
  });
});
