import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { CHECKS } from '../../../collectors/baseline/catalogue.js';
import { packageFile } from '../../../src/package-root.js';
import { IS_ROOT, NOT_ROOT_REASON, materialize } from './host-root.js';

const run = promisify(execFile);
const CLI = packageFile('dist', 'src', 'cli.js');
const made: string[] = [];
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { timeout: 20_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('iot-micro-agent collect baseline|users|firewall|hardware --once', () => {
  it.skipIf(!IS_ROOT)(`prints one OSBaseline item per check for a host root${IS_ROOT ? '' : ` (${NOT_ROOT_REASON})`}`, async () => {
    const root = materialize('exposed');
    made.push(root);
    const { code, stdout } = await cli(['collect', 'baseline', '--once', '--host-root', root]);
    expect(code).toBe(0);
    const items = stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(items).toHaveLength(CHECKS.length);
    expect(new Set(items.map((i) => i['Result']))).toEqual(new Set(['Fail']));
  });

  it('prints users and hardware of this machine, and refuses a host root that does not exist in one line', async () => {
    const users = await cli(['collect', 'users', '--once']);
    expect(users.code).toBe(0);
    expect(users.stdout.split('\n')[0]).toMatch(/^\{"UserName":"root","UserId":"0"/);
    expect((await cli(['collect', 'hardware', '--once'])).code).toBe(0);
    const bad = await cli(['collect', 'baseline', '--once', '--host-root', '/no/such/root']);
    expect({ code: bad.code, stderr: bad.stderr }).toEqual({ code: 2, stderr: 'iot-micro-agent: --host-root "/no/such/root" is not a directory\n' });
  });
});
