import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { packageFile } from '../../src/package-root.js';

const run = promisify(execFile);
const CLI = packageFile('dist', 'src', 'cli.js');
const KEY = Buffer.alloc(32, 9).toString('base64');
let dir: string;

async function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { env: { PATH: process.env['PATH'], ...env }, timeout: 20_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

async function file(name: string, text: string): Promise<string> {
  const p = join(dir, name);
  await writeFile(p, text, { mode: 0o600 });
  return p;
}

function expectOneLineUserError(r: { code: number; stderr: string }, text: string): void {
  expect(r.code).toBe(2);
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain(text);
  expect(r.stderr).not.toMatch(/\bat .*\.js:\d+/);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cli-'));
});

describe('the command line on bad input', () => {
  it('prints help and exits 0 for --help', async () => {
    const r = await cli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('iot-micro-agent run');
  });

  it('names an unknown command in one line, exit 2', async () => {
    expectOneLineUserError(await cli(['frobnicate']), 'unknown command "frobnicate"');
  });

  it('names an unknown option in one line, exit 2', async () => {
    expectOneLineUserError(await cli(['run', '--bogus']), 'bogus');
  });

  it('rejects a config file that is not JSON', async () => {
    expectOneLineUserError(await cli(['run', '--config', await file('bad.json', '{ nope')]), 'is not valid JSON');
  });

  it('rejects a config file with an unknown key or a wrong type, naming them', async () => {
    const r = await cli(['run', '--config', await file('typo.json', JSON.stringify({ stateDirectory: '/x', transport: 'amqp' }))]);
    expectOneLineUserError(r, 'stateDirectory');
    expect(r.stderr).toContain('transport');
  });

  it('rejects a missing config file named on the command line', async () => {
    expectOneLineUserError(await cli(['run', '--config', join(dir, 'absent.json')]), 'does not exist');
  });

  it('rejects a missing connection string file', async () => {
    const cfg = await file('cfg1.json', JSON.stringify({ connectionStringFile: join(dir, 'nope.txt'), stateDir: join(dir, 'state') }));
    expectOneLineUserError(await cli(['run', '--config', cfg]), `connection string file ${join(dir, 'nope.txt')} does not exist`);
  });

  it('rejects a connection string path that is a directory', async () => {
    const cfg = await file('cfg2.json', JSON.stringify({ connectionStringFile: dir, stateDir: join(dir, 'state') }));
    expectOneLineUserError(await cli(['run', '--config', cfg]), `connection string file ${dir} is a directory`);
  });

  it('rejects a malformed connection string without quoting its key', async () => {
    const cs = await file('cs-bad.txt', 'HostName=h;DeviceId=d;SharedAccessKey=c2VjcmV0LXNlY3JldC1zZWNyZXQ=');
    const cfg = await file('cfg3.json', JSON.stringify({ connectionStringFile: cs, stateDir: join(dir, 'state') }));
    const r = await cli(['run', '--config', cfg]);
    expectOneLineUserError(r, 'ModuleId is missing');
    expect(r.stderr).not.toContain('c2VjcmV0');
  });

  it('rejects a malformed connection string in the environment variable', async () => {
    const cfg = await file('cfg4.json', JSON.stringify({ stateDir: join(dir, 'state') }));
    expectOneLineUserError(await cli(['run', '--config', cfg], { IOT_MICRO_AGENT_CONNECTION_STRING: 'garbage' }), 'malformed connection string');
  });

  it('rejects invalid twinDefaults in the config file, naming each key', async () => {
    const cs = await file('cs-good.txt', `HostName=h;DeviceId=d;ModuleId=m;SharedAccessKey=${KEY}`);
    const cfg = await file('cfg5.json', JSON.stringify({ connectionStringFile: cs, stateDir: join(dir, 'state5'), twinDefaults: { Process_Mode: 7, Bogus: 1 } }));
    const r = await cli(['run', '--config', cfg]);
    expectOneLineUserError(r, 'twinDefaults: Bogus: unknown key; Process_Mode');
  });

  it('rejects an unknown collector for collect', async () => {
    expectOneLineUserError(await cli(['collect', 'nope', '--once']), 'unknown collector "nope"');
  });

  it('reports validate-config on an unreadable file with exit 2', async () => {
    const r = await cli(['validate-config', join(dir, 'missing.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
