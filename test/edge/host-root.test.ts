/**
 * The host seen from inside a container: every file-based collector, run through the real CLI
 * (`collect <name> --once --host-root`), reads the host root it is given (here a tree assembled from the
 * collectors' fixtures, standing in for `/host`) and nothing of the machine the test runs on.
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageFile } from '../../src/package-root.js';

const CLI = packageFile('dist', 'src', 'cli.js');
const FIXTURES = packageFile('test', 'fixtures');
const run = promisify(execFile);
let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'host-root-'));
  const from = (rel: string, to: string) => cp(join(FIXTURES, rel), join(root, to), { recursive: true, verbatimSymlinks: true });
  await from('process/normal/poll-1', '.');
  await from('local-users/etc', 'etc');
  for (const rel of ['net', 'self', '100/fd', '100/ns']) await from(`connection/host-tables/proc/${rel}`, `proc/${rel}`);
  await from('connected-hardware/sys', 'sys');
  await from('sbom/dpkg/root', '.');
  await mkdir(join(root, 'var/log'), { recursive: true });
  await from('login/auth-openssh-9.2.log', 'var/log/auth.log');
  const write = async (rel: string, text: string) => {
    await mkdir(join(root, rel, '..'), { recursive: true });
    await writeFile(join(root, rel), text);
  };
  // pid 1's mounts are the host's; the reader's own (self) are a container's and must not be used.
  await write('proc/1/mounts', '/dev/root / ext4 rw 0 0\ntmpfs /tmp tmpfs rw,nosuid,nodev,noexec 0 0\n');
  await write('proc/self/mounts', 'overlay / overlay rw 0 0\n');
  await write('etc/hostname', 'edge-fixture-host\n');
  await write('proc/sys/kernel/osrelease', '5.10.0-fixture\n');
  await write('proc/meminfo', 'MemTotal:        1024000 kB\nMemFree:          512000 kB\nMemAvailable:     768000 kB\nSwapTotal:             0 kB\nSwapFree:              0 kB\n');
  await write('sys/devices/virtual/dmi/id/sys_vendor', 'Fixture Vendor\n');
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function collect(name: string): Promise<Record<string, unknown>[]> {
  const { stdout } = await run(process.execPath, [CLI, 'collect', name, '--once', '--host-root', root]);
  return stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('collectors against a host root mounted at another path', () => {
  it('process, users, connection, sbom, hardware and login see the mounted root, not this machine', async () => {
    const [processes, users, connections, packages, hardware, logins] = await Promise.all(
      ['process', 'users', 'connection', 'sbom', 'hardware', 'login'].map((n) => collect(n)));
    expect(processes?.map((p) => p['pid'])).toEqual([1, 100, 200]);
    expect(processes?.find((p) => p['pid'] === 100)?.['executable']).toBe('/usr/sbin/sshd');
    expect(users?.map((u) => u['UserName'])).toEqual(expect.arrayContaining(['toor', 'operator']));
    expect(connections?.map((c) => `${String(c['remoteAddress'])}:${String(c['remotePort'])}`)).toContain('198.51.100.7:51000');
    expect(connections?.every((c) => c['netns'] === 'net:[4026531833]')).toBe(true);
    expect(connections?.find((c) => c['remotePort'] === 51000)?.['process']).toMatchObject({ pid: 100 });
    expect(packages?.length).toBeGreaterThan(0);
    expect(packages?.every((p) => String(p['Purl']).includes('distro=ubuntu-22.04'))).toBe(true);
    expect(hardware?.map((h) => h['HardwareName'])).toContain('Logitech USB Keyboard');
    expect(logins?.map((l) => (l['payload'] as { UserName: string }[])[0]?.UserName)).toEqual(expect.arrayContaining(['alice', 'mallory']));
  });

  it('baseline reads the host\'s mount table (pid 1), system information the host\'s OS, name, kernel, memory and vendor', async () => {
    const [baseline, [info]] = await Promise.all([collect('baseline'), collect('system-information')]);
    const tmpNoexec = baseline.find((c) => (c['ExtraDetails'] as { CheckId: string }).CheckId === '1.1.5');
    expect(tmpNoexec).toMatchObject({ Result: 'Pass', ExtraDetails: { Evidence: '/tmp is mounted noexec' } });
    expect(info).toMatchObject({
      OSName: 'Ubuntu', OSVersion: '22.04', HostName: 'edge-fixture-host', TotalPhysicalMemoryInKB: 1024000, FreePhysicalMemoryInKB: 768000,
      ExtraDetails: { KernelVersion: '5.10.0-fixture', HardwareVendor: 'Fixture Vendor' },
    });
  });
});
