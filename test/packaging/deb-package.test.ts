/**
 * The .deb on this machine (root, Debian): build, lintian, dpkg -i, the installed agent as the unit runs it against
 * the simulated hub, what each capability buys, dpkg -r, dpkg -P; then install.sh in a prefix, twice.
 * One file, so the steps that share the service user and /etc never run in parallel.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { appendFile, chmod, copyFile, lstat, mkdir, mkdtemp, readFile, readlink, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageFile } from '../../src/package-root.js';
import { SimulatedHub, type ModuleIdentity } from '../../src/sim-hub/index.js';
import { eventsOf } from '../support/agent-harness.js';
import { waitUntil } from '../support/stream-tally.js';
import { treeSnapshot } from './tree-snapshot.js';
import { dpkg, has, installedVersion, knownToDpkg, modeOf, runToEnd } from './dpkg-tools.js';
import { SERVICE_USER, collectLines, runAsService, spawnAsService, unitCapabilities } from './service-user.js';

const run = promisify(execFile);
const REPO_UNIT = packageFile('systemd', 'iot-micro-agent.service');
const VERSION = (JSON.parse(readFileSync(packageFile('package.json'), 'utf8')) as { version: string }).version;
const CAPS = unitCapabilities(REPO_UNIT);

const skipReason = process.platform !== 'linux' ? 'not Linux'
  : process.geteuid?.() !== 0 ? 'needs root (dpkg -i, setpriv)'
  : !has('dpkg-deb') || !has('dpkg') ? 'dpkg is missing'
  : !has('setpriv') ? 'setpriv is missing (apt-get install util-linux)'
  : knownToDpkg('iot-micro-agent') ? 'iot-micro-agent is installed on this machine; the test will not replace it'
  : undefined;
if (skipReason) console.warn(`[deb package] skipped: ${skipReason}`);

let work: string;
let deb: string;
let lintian: Promise<{ code: number | null; out: string }> | undefined;
let userExisted = false;

beforeAll(async () => {
  if (skipReason) return;
  userExisted = (await run('getent', ['passwd', SERVICE_USER]).then(() => true, () => false));
  work = await mkdtemp('/tmp/iot-micro-agent-pkgtest-');
  await chmod(work, 0o755);
  const { stdout } = await run(packageFile('packaging', 'build-deb.sh'), [join(work, 'out')], { maxBuffer: 16 * 1024 * 1024 });
  deb = stdout.trim().split('\n').pop() ?? '';
  // lintian takes a while: it runs beside the dpkg steps and is awaited at the end.
  if (has('lintian')) lintian = runToEnd('lintian', ['--tag-display-limit', '0', deb]);
}, 900_000);

afterAll(async () => {
  if (skipReason) return;
  if (knownToDpkg('iot-micro-agent')) await dpkg('--purge', 'iot-micro-agent').catch((err: unknown) => console.error(`[deb package] purge failed: ${String(err)}`));
  if (!userExisted) await run('userdel', [SERVICE_USER]).catch(() => undefined);
  await lintian?.catch(() => undefined);
  await rm(work, { recursive: true, force: true });
}, 600_000);


describe.skipIf(skipReason !== undefined)('the Debian package', () => {
  let hub: SimulatedHub;
  let identity: ModuleIdentity;
  let other: ChildProcess | undefined;
  const host = (): string => join(work, 'host');

  afterAll(async () => {
    other?.kill('SIGKILL');
    await hub?.stop();
  });

  it('is named after the version, depends on nodejs (>= 20), and installs with dpkg -i', async () => {
    expect(deb).toMatch(new RegExp(`/iot-micro-agent_${VERSION.replace(/\./g, '\\.')}_(all|[a-z0-9]+)\\.deb$`));
    const control = (await run('dpkg-deb', ['--field', deb, 'Depends'])).stdout.trim();
    expect(control).toContain('nodejs (>= 20)');
    // This machine's node may not come from a Debian package; then the dependency is forced, and said so.
    const nodejs = installedVersion('nodejs');
    const satisfied = nodejs !== undefined && execFileSync('sh', ['-c', `dpkg --compare-versions "${nodejs}" ge 20 && echo yes || echo no`], { encoding: 'utf8' }).trim() === 'yes';
    if (!satisfied) console.warn(`[deb package] nodejs (>= 20) is not installed as a Debian package (${nodejs ?? 'absent'}): installing with --force-depends`);
    await dpkg(...(satisfied ? [] : ['--force-depends']), '-i', deb);
    expect(installedVersion('iot-micro-agent')).toBe(VERSION);
  }, 300_000);

  it('lays out the launcher, the unit, the conffile, the PAM hook and the state dir with the documented owners and modes', async () => {
    expect(await readlink('/usr/bin/iot-micro-agent')).toBe('../lib/iot-micro-agent/dist/src/cli.js');
    expect(await modeOf('/usr/lib/iot-micro-agent/dist/src/cli.js')).toEqual({ mode: '0755', owner: 'root' });
    expect(await modeOf('/usr/lib/iot-micro-agent/pam/pam-login-hook.sh')).toEqual({ mode: '0755', owner: 'root' });
    expect(await modeOf('/lib/systemd/system/iot-micro-agent.service')).toEqual({ mode: '0644', owner: 'root' });
    expect(await readFile('/lib/systemd/system/iot-micro-agent.service', 'utf8')).toBe(await readFile(REPO_UNIT, 'utf8'));
    expect(await modeOf('/etc/iot-micro-agent')).toEqual({ mode: '0755', owner: 'root' });
    expect(await modeOf('/etc/iot-micro-agent/config.json')).toEqual({ mode: '0644', owner: 'root' });
    expect(await modeOf('/var/lib/iot-micro-agent')).toEqual({ mode: '0700', owner: SERVICE_USER });
    const conffiles = (await run('dpkg-query', ['-W', '-f=${Conffiles}', 'iot-micro-agent'])).stdout;
    expect(conffiles).toContain('/etc/iot-micro-agent/config.json');
    const shell = (await run('getent', ['passwd', SERVICE_USER])).stdout.trim().split(':')[6];
    expect(shell).toBe('/usr/sbin/nologin');
    expect((await run('/usr/bin/iot-micro-agent', ['--version'])).stdout.trim()).toBe(VERSION);
    if (has('systemd-analyze')) {
      const verify = await run('systemd-analyze', ['verify', '--man=false', 'iot-micro-agent.service']);
      expect(verify.stdout + verify.stderr).toBe('');
    }
  }, 60_000);

  it('provision writes the connection string from stdin, mode 0600, owned by the service user, without echoing the key', async () => {
    hub = await SimulatedHub.start({ stateDir: join(work, 'hub') });
    identity = hub.createModule('deb-device');
    const child = spawn('/usr/bin/iot-micro-agent', ['provision'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const lines = collectLines(child);
    child.stdin?.end(`${identity.connectionString}\n`);
    const [code] = (await once(child, 'exit')) as [number];
    expect(code).toBe(0);
    expect(lines.join('\n')).toContain('wrote /etc/iot-micro-agent/connection_string.txt (mode 0600, owner iot-micro-agent) for device deb-device');
    expect(lines.join('\n')).not.toContain(identity.primaryKey);
    expect(await modeOf('/etc/iot-micro-agent/connection_string.txt')).toEqual({ mode: '0600', owner: SERVICE_USER });
    expect((await readFile('/etc/iot-micro-agent/connection_string.txt', 'utf8')).trim()).toBe(identity.connectionString);
  }, 60_000);

  it("runs as the service user with only the unit's capabilities, reaches the hub, and sees other users' processes, logins and sockets", async () => {
    // A host root as on a device: the real /proc, a root-only btmp (0600) that gets a failed login after the start.
    await mkdir(join(host(), 'var/log'), { recursive: true });
    await mkdir(join(host(), 'etc'), { recursive: true });
    await symlink('/proc', join(host(), 'proc'));
    await copyFile('/etc/passwd', join(host(), 'etc/passwd'));
    await writeFile(join(host(), 'var/log/btmp'), '', { mode: 0o600 });
    await chmod(join(work, 'host'), 0o755);
    await copyFile(hub.caFile, join(work, 'ca.pem'));
    await chmod(join(work, 'ca.pem'), 0o644);
    const config = join(work, 'config.json');
    await writeFile(config, JSON.stringify({
      trustedCaFile: join(work, 'ca.pem'), hostRoot: host(), logLevel: 'debug',
      twinDefaults: {
        CollectorsCore_PriorityIntervals: '1s,1s,1s', Process_MessageFrequency: 'High', Login_MessageFrequency: 'High',
        NetworkActivity_MessageFrequency: 'High', NetworkActivity_IncludeLoopback: true, NetworkActivity_Devices: 'any',
      },
    }), { mode: 0o644 });

    const agent = spawnAsService(CAPS, ['/usr/bin/iot-micro-agent', 'run', '--config', config]);
    const logs = collectLines(agent);
    try {
      await hub.waitForReported(identity.deviceId, identity.moduleId, (r) => r['latest_state'] === 'success', 60_000);
      const status = (await readFile(`/proc/${agent.pid}/status`, 'utf8').catch(() => ''));
      console.info(`[deb package] agent process: ${/Uid:.*/.exec(status)?.[0] ?? '?'}`);

      // Another user's process that listens and connects on loopback, and a failed login in btmp.
      // Spawned with uid/gid (set between fork and exec), so the process is never seen as another program first.
      other = spawn(process.execPath, ['-e', LISTEN_AND_CONNECT], { uid: 65534, gid: 65534, stdio: 'ignore' });
      const otherPid = other.pid ?? 0;
      await appendFile(join(host(), 'var/log/btmp'), await readFile(packageFile('test/fixtures/login/btmp-basic.bin')));
      const nodeExe = await realpath(process.execPath);
      const seen = (name: string, match: (p: Record<string, unknown>) => boolean): boolean => hub.messages({ deviceId: identity.deviceId })
        .some((m) => eventsOf(m.body).some((e) => e.Name === name && (e['Payload'] as Record<string, unknown>[]).some(match)));
      const found = (): Record<string, boolean> => ({
        process: seen('ProcessCreate', (p) => p['ProcessId'] === otherPid && p['UserId'] === '65534' && p['Executable'] === nodeExe),
        socket: seen('ConnectionCreate', (p) => p['ProcessId'] === otherPid && p['Executable'] === nodeExe),
        login: seen('Login', (p) => p['UserName'] === 'mallory' && p['Result'] === 'Fail'),
      });
      await waitUntil(() => Object.values(found()).every(Boolean), 90_000, "the other user's process, socket and failed login at the hub")
        .catch((err: unknown) => {
          throw new Error(`${String(err)}: ${JSON.stringify(found())}`);
        });

      const vm = await readFile(`/proc/${agent.pid}/status`, 'utf8').catch(() => '');
      console.info(`[deb package] agent as the service user, after its first deliveries: ${/VmRSS:.*/.exec(vm)?.[0] ?? '?'}; ${/CapEff:.*/.exec(vm)?.[0] ?? '?'}`);
      agent.kill('SIGTERM');
      const [code] = (await once(agent, 'exit')) as [number];
      expect(code).toBe(0);
    } catch (err) {
      console.error(logs.slice(-30).join('\n'));
      throw err;
    } finally {
      agent.kill('SIGKILL');
    }
    expect(logs.join('\n')).not.toContain(identity.primaryKey);
  }, 180_000);

  it('what each capability buys, measured by dropping one at a time', async () => {
    const otherPid = other?.pid ?? 0;
    const nodeExe = await realpath(process.execPath);
    const launcher = '/usr/bin/iot-micro-agent';
    const measure = async (caps: readonly string[]): Promise<Record<string, boolean>> => {
      const lines = async (collector: string): Promise<Record<string, unknown>[]> => {
        const r = await runAsService(caps, [launcher, 'collect', collector, '--once', '--host-root', host()]);
        expect(r.code).toBe(0);
        return r.stdout.trim().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
      };
      const processes = await lines('process');
      const logins = await lines('login');
      const sockets = await lines('connection');
      return {
        "other users' executables": processes.some((p) => p['pid'] === otherPid && p['executable'] === nodeExe),
        'btmp (failed logins)': logins.some((l) => JSON.stringify(l).includes('"UserName":"mallory"')),
        "other users' socket owners": sockets.some((s) => (s['process'] as { pid?: number } | undefined)?.pid === otherPid),
      };
    };
    const rows: [string, Record<string, boolean>][] = [['all of the unit', await measure(CAPS)]];
    for (const cap of CAPS) rows.push([`without ${cap}`, await measure(CAPS.filter((c) => c !== cap))]);
    const columns = Object.keys(rows[0]?.[1] ?? {});
    console.info(['[deb package] capabilities (yes = seen):', `| capabilities | ${columns.join(' | ')} |`,
      ...rows.map(([name, r]) => `| ${name} | ${columns.map((c) => (r[c] ? 'yes' : 'no')).join(' | ')} |`)].join('\n'));
    const table = Object.fromEntries(rows);
    expect(table['all of the unit']).toEqual({ "other users' executables": true, 'btmp (failed logins)': true, "other users' socket owners": true });
    expect(table['without CAP_SYS_PTRACE']).toEqual({ "other users' executables": false, 'btmp (failed logins)': true, "other users' socket owners": false });
    expect(table['without CAP_DAC_READ_SEARCH']).toEqual({ "other users' executables": true, 'btmp (failed logins)': false, "other users' socket owners": false });
    // The process connector that needs CAP_NET_ADMIN (kernels before 6.6) is not in this build yet.
    expect(table['without CAP_NET_ADMIN']).toEqual(table['all of the unit']);
  }, 300_000);

  it('refuses, through the installed launcher, a connection string file that others can read', async () => {
    await chmod('/etc/iot-micro-agent/connection_string.txt', 0o640);
    const r = await runAsService(CAPS, ['/usr/bin/iot-micro-agent', 'run', '--config', join(work, 'config.json')]);
    await chmod('/etc/iot-micro-agent/connection_string.txt', 0o600);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringContaining('is readable or writable by group or others (mode 0640)')]);
  }, 60_000);

  it('dpkg -r removes the program and keeps the config, the connection string and the state; dpkg -P purges them', async () => {
    const stateFiles = await run('ls', ['-A', '/var/lib/iot-micro-agent']).then((r) => r.stdout.trim().split('\n'));
    expect(stateFiles).toContain('agent-id');
    await dpkg('-r', 'iot-micro-agent');
    expect(existsSync('/usr/bin/iot-micro-agent')).toBe(false);
    expect(existsSync('/usr/lib/iot-micro-agent')).toBe(false);
    expect(existsSync('/lib/systemd/system/iot-micro-agent.service')).toBe(false);
    expect(existsSync('/etc/iot-micro-agent/config.json')).toBe(true);
    expect(existsSync('/etc/iot-micro-agent/connection_string.txt')).toBe(true);
    expect(await run('ls', ['-A', '/var/lib/iot-micro-agent']).then((r) => r.stdout.trim().split('\n'))).toEqual(stateFiles);

    await dpkg('-P', 'iot-micro-agent');
    expect(existsSync('/etc/iot-micro-agent')).toBe(false);
    expect(existsSync('/var/lib/iot-micro-agent')).toBe(false);
    expect(installedVersion('iot-micro-agent')).toBeUndefined();
  }, 600_000);

  it('lintian reports no errors', async () => {
    if (!lintian) {
      console.warn('[deb package] lintian is missing (apt-get install lintian; .ci/run does): not checked');
      return;
    }
    const { code, out } = await lintian;
    const tags = out.split('\n').filter((l) => /^[EWIX]: /.test(l));
    const count = (level: string): number => tags.filter((t) => t.startsWith(`${level}: `)).length;
    console.info(`[deb package] lintian: ${count('E')} errors, ${count('W')} warnings (${[...new Set(tags.filter((t) => t.startsWith('W: ')).map((t) => t.split(' ')[2]))].join(', ')})`);
    expect(tags.filter((t) => t.startsWith('E: '))).toEqual([]);
    expect(code).toBe(0);
  }, 900_000);
});

describe.skipIf(skipReason !== undefined)('systemd/install.sh from the npm tarball', () => {
  it('lays out the files and modes the README documents, and a second run changes nothing', async () => {
    const packed = (await run('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', work], { cwd: packageFile() })).stdout.trim().split('\n').pop() ?? '';
    const src = join(work, 'tarball');
    await mkdir(src);
    await run('tar', ['-xzf', join(work, packed), '-C', src, '--no-same-owner']);
    const prefix = join(work, 'prefix');
    const install = (): Promise<{ stdout: string; stderr: string }> => run('sh', [join(src, 'package/systemd/install.sh'), '--prefix', prefix], { maxBuffer: 16 * 1024 * 1024 });
    await install();

    const lib = join(prefix, 'usr/lib/iot-micro-agent');
    expect(await readlink(join(prefix, 'usr/bin/iot-micro-agent'))).toBe('../lib/iot-micro-agent/dist/src/cli.js');
    expect(await modeOf(join(lib, 'dist/src/cli.js'))).toEqual({ mode: '0755', owner: 'root' });
    expect(await modeOf(join(lib, 'pam/pam-login-hook.sh'))).toEqual({ mode: '0755', owner: 'root' });
    expect(await modeOf(join(lib, 'node_modules/pino/package.json'))).toEqual({ mode: '0644', owner: 'root' });
    expect(await modeOf(join(lib, 'console/index.html'))).toEqual({ mode: '0644', owner: 'root' });
    expect(await modeOf(join(prefix, 'etc/systemd/system/iot-micro-agent.service'))).toEqual({ mode: '0644', owner: 'root' });
    expect(await readFile(join(prefix, 'etc/systemd/system/iot-micro-agent.service'), 'utf8')).toBe(await readFile(REPO_UNIT, 'utf8'));
    expect(await modeOf(join(prefix, 'etc/iot-micro-agent'))).toEqual({ mode: '0755', owner: 'root' });
    expect(await modeOf(join(prefix, 'etc/iot-micro-agent/config.json'))).toEqual({ mode: '0644', owner: 'root' });
    expect(await modeOf(join(prefix, 'var/lib/iot-micro-agent'))).toEqual({ mode: '0700', owner: SERVICE_USER });
    expect((await run(join(prefix, 'usr/bin/iot-micro-agent'), ['--version'])).stdout.trim()).toBe(VERSION);
    expect((await lstat(join(prefix, 'usr/bin/iot-micro-agent'))).isSymbolicLink()).toBe(true);

    const first = await treeSnapshot(prefix);
    await install();
    expect(await treeSnapshot(prefix)).toEqual(first);
    console.info(`[install.sh] ${first.length} entries under the prefix; the second run changed none`);
  }, 600_000);
});

/** Listens on 127.0.0.1, connects to itself and holds both ends open until killed. */
const LISTEN_AND_CONNECT = `
const net = require('node:net');
const server = net.createServer(() => undefined).listen(0, '127.0.0.1', () => {
  net.connect(server.address().port, '127.0.0.1');
});
setInterval(() => undefined, 1 << 30);
`;
