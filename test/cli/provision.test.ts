import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageFile } from '../../src/package-root.js';

const CLI = packageFile('dist', 'src', 'cli.js');
const KEY = Buffer.alloc(32, 7).toString('base64');
const GOOD = `HostName=hub.example.net;DeviceId=dev-1;ModuleId=DefenderIotMicroAgent;SharedAccessKey=${KEY}`;
const ME = userInfo().username;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'provision-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function provision(args: string[], input: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI, 'provision', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.end(input);
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stdout, stderr };
}

describe('iot-micro-agent provision', () => {
  it('writes the connection string from stdin with mode 0600 for the named user, replacing an exposed file', async () => {
    const out = join(dir, 'connection_string.txt');
    await writeFile(out, 'old', { mode: 0o644 });
    const r = await provision(['--output', out, '--user', ME], `  ${GOOD}\n`);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`wrote ${out} (mode 0600, owner ${ME}) for device dev-1, module DefenderIotMicroAgent, hub hub.example.net; apply it with: systemctl restart iot-micro-agent\n`);
    expect(r.stdout + r.stderr).not.toContain(KEY);
    const st = await stat(out);
    expect(st.mode & 0o777).toBe(0o600);
    expect(st.uid).toBe(process.geteuid?.());
    expect(await readFile(out, 'utf8')).toBe(`${GOOD}\n`);
  }, 30_000);

  it('reads --from FILE as well', async () => {
    const from = join(dir, 'from.txt');
    await writeFile(from, GOOD);
    const out = join(dir, 'from-out.txt');
    const r = await provision(['--from', from, '--output', out, '--user', ME], '');
    expect(r.code).toBe(0);
    expect(await readFile(out, 'utf8')).toBe(`${GOOD}\n`);
  }, 30_000);

  it('refuses a malformed string, an unknown user and a missing source with one line, exit 2, writing nothing', async () => {
    const out = join(dir, 'never.txt');
    const cases: [string[], string, string][] = [
      [['--output', out, '--user', ME], `HostName=h;DeviceId=d;SharedAccessKey=${KEY}`, 'standard input: malformed connection string: ModuleId is missing'],
      [['--output', out, '--user', 'no-such-user-here'], GOOD, 'user "no-such-user-here" does not exist'],
      [['--output', out, '--user', ME, '--from', join(dir, 'absent.txt')], '', `${join(dir, 'absent.txt')} does not exist`],
    ];
    for (const [args, input, message] of cases) {
      const r = await provision(args, input);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toEqual([expect.stringContaining(message)]);
      expect(r.stderr).not.toContain(KEY);
    }
    await expect(stat(out)).rejects.toThrow('ENOENT');
  }, 60_000);
});
