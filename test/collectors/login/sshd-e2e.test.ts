import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLoginCollector } from '../../../collectors/login/index.js';
import { systemClock } from '../../../src/clock.js';
import { RecordingSink, options, payloadOf, schemaMissing, tempDir, validateEvents } from './helpers.js';

const SSHD = '/usr/sbin/sshd';
const USER = 'iotmatest';
const skipReason =
  process.getuid?.() !== 0 ? 'needs root (sshd, useradd)' : !existsSync(SSHD) ? `${SSHD} not installed (apt-get install openssh-server)` : !existsSync('/usr/bin/ssh') ? 'ssh client not installed' : undefined;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr !== null ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

function ssh(port: number, args: string[], env: NodeJS.ProcessEnv = {}): number {
  try {
    execFileSync('/usr/bin/ssh', ['-T', '-p', String(port), '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', ...args], {
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...env },
      stdio: ['ignore', 'ignore', 'ignore'],
      timeout: 15_000,
    });
    return 0;
  } catch (err) {
    return (err as { status?: number }).status ?? -1;
  }
}

describe.skipIf(skipReason !== undefined)(`a real sshd on loopback${skipReason === undefined ? '' : ` (skipped: ${skipReason})`}`, () => {
  let dir: string;
  let root: string;
  let port: number;
  let sshd: ChildProcess | undefined;

  beforeAll(async () => {
    dir = await tempDir('sshd');
    chmodSync(dir, 0o755); // sshd reads authorized_keys as the test user
    root = join(dir, 'host');
    mkdirSync(join(root, 'var/log'), { recursive: true });
    mkdirSync(join(root, 'etc'), { recursive: true });
    try {
      execFileSync('/usr/bin/id', [USER], { stdio: 'ignore' });
    } catch {
      execFileSync('/usr/sbin/useradd', ['-m', '-s', '/bin/sh', USER]);
    }
    // a random password: unlocks the account for key login; the test only ever sends a wrong one
    execFileSync('/usr/sbin/chpasswd', { input: `${USER}:${Math.random().toString(36).slice(2)}Aa1!\n` });
    writeFileSync(join(root, 'etc/passwd'), readFileSync('/etc/passwd'));
    execFileSync('/usr/bin/ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'host_key')]);
    execFileSync('/usr/bin/ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'client_key')]);
    writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'client_key.pub')), { mode: 0o644 });
    writeFileSync(join(dir, 'askpass'), '#!/bin/sh\necho not-the-password\n', { mode: 0o755 });
    port = await freePort();
    writeFileSync(join(dir, 'sshd_config'), [
      'ListenAddress 127.0.0.1', `Port ${port}`, `HostKey ${join(dir, 'host_key')}`, 'PidFile none', 'UsePAM no',
      'StrictModes no', `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`, 'PasswordAuthentication yes',
      'KbdInteractiveAuthentication no', `AllowUsers ${USER}`, 'LogLevel INFO', '',
    ].join('\n'));
    mkdirSync('/run/sshd', { recursive: true }); // Debian's sshd refuses to start without its privsep dir
    // -E: sshd's own log lines (no syslog prefix) land where the collector reads auth.log
    sshd = spawn(SSHD, ['-D', '-f', join(dir, 'sshd_config'), '-E', join(root, 'var/log/auth.log')], { stdio: 'ignore' });
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && !readFileSafe(join(root, 'var/log/auth.log')).includes('Server listening')) {
      await new Promise((r) => setTimeout(r, 50));
    }
  });

  afterAll(() => {
    sshd?.kill('SIGTERM');
  });

  it('turns a wrong password, a key login and its logout into LoginFailed, Login and Logout', async () => {
    const sink = new RecordingSink();
    const collector = createLoginCollector(options(root, await tempDir('state'), systemClock));
    await collector.start?.(sink);
    const failed = ssh(port, ['-o', 'PreferredAuthentications=password', '-o', 'PubkeyAuthentication=no', '-o', 'NumberOfPasswordPrompts=1', `${USER}@127.0.0.1`, 'true'], {
      SSH_ASKPASS: join(dir, 'askpass'), SSH_ASKPASS_REQUIRE: 'force', DISPLAY: ':0',
    });
    const ok = ssh(port, ['-i', join(dir, 'client_key'), '-o', 'BatchMode=yes', '-o', 'PreferredAuthentications=publickey', `${USER}@127.0.0.1`, 'true']);
    expect([failed, ok]).toEqual([255, 0]);
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && !readFileSafe(join(root, 'var/log/auth.log')).includes(`Disconnected from user ${USER}`)) {
      await new Promise((r) => setTimeout(r, 100));
    }
    await collector.stop();
    const rows = sink.events.map((e) => payloadOf(e)).map((p) => [p['Operation'], p['Result'], p['UserName'], p['RemoteAddress'], p['Executable']]);
    expect(rows).toEqual([
      ['LoginFailed', 'Fail', USER, '127.0.0.1', 'sshd'],
      ['Login', 'Success', USER, '127.0.0.1', 'sshd'],
      ['Logout', 'Success', USER, '127.0.0.1', 'sshd'],
    ]);
    expect(payloadOf(sink.events[0])['ExtraDetails']).toMatchObject({ Method: 'password' });
    expect(payloadOf(sink.events[1])['ExtraDetails']).toMatchObject({ Method: 'publickey' });
    expect(payloadOf(sink.events[1])['RemotePort']).toBe(payloadOf(sink.events[2])['RemotePort']);
    if (schemaMissing === undefined) expect(validateEvents(sink.events)).toBeUndefined();
  });
});

function readFileSafe(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
