import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { createLoginCollector, loginCollectorFactory, snapshotLogins } from '../../../collectors/login/index.js';
import { UTMP_RECORD_SIZE } from '../../../collectors/login/utmp-record.js';
import { expectSampleEvent } from '../../support/golden.js';
import { ManualClock, RecordingSink, fixtures, journalctlCalls, options, payloadOf, pollUntil, repoRoot, schemaMissing, standInJournalctl, tempDir, validateEvents } from './helpers.js';

const fixture = (name: string): Buffer => readFileSync(join(fixtures, name));
const record = (name: string, i: number): Buffer => fixture(name).subarray(i * UTMP_RECORD_SIZE, (i + 1) * UTMP_RECORD_SIZE);
const authLines = (from: number, to: number): string =>
  `${readFileSync(join(fixtures, 'auth-openssh-9.2.log'), 'utf8').split('\n').slice(from, to).join('\n')}\n`;

function expectValid(sink: RecordingSink): void {
  if (schemaMissing !== undefined) return; // reason printed in the test name
  expect(validateEvents(sink.events)).toBeUndefined();
}

describe(`Login events from several sources${schemaMissing === undefined ? '' : ` (schema checks skipped: ${schemaMissing})`}`, () => {
  let root: string;
  let state: string;
  let clock: ManualClock;

  beforeEach(async () => {
    root = await tempDir('root');
    state = await tempDir('state');
    mkdirSync(join(root, 'var/log'), { recursive: true });
    mkdirSync(join(root, 'etc'), { recursive: true });
    writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n');
    clock = new ManualClock(Date.parse('2024-03-01T12:00:01Z'));
  });

  it('reports a login seen in wtmp and in sshd\'s log once, with the details of both', async () => {
    writeFileSync(join(root, 'var/log/wtmp'), '');
    writeFileSync(join(root, 'var/log/auth.log'), '');
    const sink = new RecordingSink();
    const collector = createLoginCollector(options(root, state, clock));
    await collector.start?.(sink);
    appendFileSync(join(root, 'var/log/auth.log'), authLines(0, 3)); // Accepted password, pam_unix, CRON
    appendFileSync(join(root, 'var/log/wtmp'), record('wtmp-basic.bin', 1)); // alice on pts/0
    await pollUntil(clock, () => sink.events.length > 0);
    await collector.stop();
    expect(sink.events).toHaveLength(1);
    const event = sink.events[0];
    expect(payloadOf(event)).toEqual({
      ProcessId: 1190,
      UserName: 'alice',
      UserId: '1000',
      Operation: 'Login',
      Executable: 'sshd',
      Result: 'Success',
      RemoteAddress: '10.0.0.5',
      RemotePort: '50122',
      ExtraDetails: {
        Source: 'sshd-log+wtmp+sshd-log-weak',
        Terminal: 'pts/0',
        Method: 'password',
        SessionProcessId: '1201',
        RecordTimeUtc: '2024-03-01T12:00:00.000Z',
      },
    });
    expect(event?.aggregationKey).toBe(JSON.stringify(['Login', 'alice', 'Login', 'Success', '10.0.0.5']));
    expectValid(sink);
    expectSampleEvent('login', event, 'exact');
  });

  it('pairs each btmp record with the sshd line of the same connection', async () => {
    writeFileSync(join(root, 'var/log/btmp'), '');
    writeFileSync(join(root, 'var/log/auth.log'), '');
    clock.nowMs = Date.parse('2024-03-01T14:00:01Z');
    const sink = new RecordingSink();
    const collector = createLoginCollector(options(root, state, clock));
    await collector.start?.(sink);
    appendFileSync(join(root, 'var/log/auth.log'), authLines(3, 6)); // mallory invalid + failed, root failed
    appendFileSync(join(root, 'var/log/btmp'), fixture('btmp-basic.bin').subarray(0, 2 * UTMP_RECORD_SIZE));
    await collector.stop();
    const details = sink.events.map((e) => [payloadOf(e)['UserName'], (payloadOf(e)['ExtraDetails'] as Record<string, string>)['Source']]);
    // two failures of mallory (invalid user, then her password), one btmp record each in real sshd
    expect(details.sort()).toEqual([
      ['mallory', 'sshd-log'],
      ['mallory', 'sshd-log+btmp'],
      ['root', 'sshd-log+btmp'],
    ]);
    const byUser = (u: string) => sink.events.filter((e) => payloadOf(e)['UserName'] === u).map(payloadOf);
    expect(byUser('mallory')[0]).not.toHaveProperty('UserId'); // an invalid user has no uid
    expect(byUser('root')[0]).toMatchObject({ UserId: '0', RemotePort: '51000', Result: 'Fail', ProcessId: 2002 });
    expectValid(sink);
  });

  it('reads the PAM hook\'s log instead of everything else when Login_UsePAM is true', async () => {
    const pamLog = join(root, 'var/lib/iot-micro-agent/pam.log');
    mkdirSync(join(root, 'var/lib/iot-micro-agent'), { recursive: true });
    writeFileSync(join(root, 'var/log/wtmp'), '');
    const sink = new RecordingSink();
    const collector = createLoginCollector(options(root, state, clock, { Login_UsePAM: true }));
    await collector.start?.(sink);
    appendFileSync(join(root, 'var/log/wtmp'), record('wtmp-basic.bin', 1)); // ignored in PAM mode
    const hook = join(repoRoot, 'systemd/pam/pam-login-hook.sh');
    const run = (type: string, user: string, rhost: string): void => {
      execFileSync('/bin/sh', [hook, pamLog], { env: { PAM_TYPE: type, PAM_USER: user, PAM_RHOST: rhost, PAM_TTY: 'ssh', PAM_SERVICE: 'sshd' } });
    };
    run('open_session', 'alice', '10.0.0.5');
    run('close_session', 'alice', '10.0.0.5');
    run('auth', 'x,y\n\u001b[2J$(touch /tmp/pwned)`id`', 'evil.example, 1.2.3.4');
    run('account', 'alice', '10.0.0.5'); // not a type the hook reports
    await collector.stop();
    expect(readFileSync(pamLog, 'utf8').split('\n').filter(Boolean)).toHaveLength(3);
    expect(sink.events.map((e) => payloadOf(e)['Operation'])).toEqual(['Login', 'Logout', 'LoginFailed']);
    expect(payloadOf(sink.events[0])).toMatchObject({ UserName: 'alice', UserId: '1000', Executable: 'sshd', RemoteAddress: '10.0.0.5', ExtraDetails: { Source: 'pam', Terminal: 'ssh', PamService: 'sshd' } });
    const failed = payloadOf(sink.events[2]);
    expect(failed['UserName']).toBe('x,y\\x0a\\x1b[2J$(touch /tmp/pwned)`id`');
    expect(failed).not.toHaveProperty('RemoteAddress');
    expect((failed['ExtraDetails'] as Record<string, string>)['RemoteHost']).toBe('evil.example, 1.2.3.4');
    expectValid(sink);
  });

  it('follows the journal through one journalctl child and resumes from the saved cursor', async () => {
    const { command: fake, argsLog } = await standInJournalctl(join(fixtures, 'journal-openssh.jsonl'));
    const factory = loginCollectorFactory({ journalctl: fake });
    const sink = new RecordingSink();
    const c1 = factory(options(root, state, clock));
    await c1.start?.(sink);
    await pollUntil(clock, () => sink.events.length >= 4, 1000); // the stand-in may take seconds to start under load
    await c1.stop();
    expect(sink.events.map((e) => `${String(payloadOf(e)['Operation'])} ${String(payloadOf(e)['UserName'])}`)).toEqual([
      'Login alice', 'LoginFailed mallory', 'LoginFailed \uFFFD\\x1b[2Jroot\\x0afake', 'Logout alice',
    ]);
    expectValid(sink);
    const c2 = factory(options(root, state, clock));
    await c2.start?.(new RecordingSink());
    await pollUntil(clock, () => journalctlCalls(argsLog).length >= 2, 1000);
    await c2.stop();
    const calls = journalctlCalls(argsLog);
    expect(calls[0]).toContain('--lines=0');
    expect(calls[0]).toEqual(expect.arrayContaining(['--follow', '--output=json', 'SYSLOG_IDENTIFIER=sshd', 'SYSLOG_IDENTIFIER=sshd-session']));
    expect(calls[1]).toContain('--after-cursor=s=1;i=a5');
  });

  it('snapshots history from the current files, rotated ones first, without touching the state dir', async () => {
    writeFileSync(join(root, 'var/log/wtmp.1'), fixture('wtmp-rotated.bin'));
    writeFileSync(join(root, 'var/log/wtmp'), fixture('wtmp-after-rotation.bin'));
    writeFileSync(join(root, 'var/log/btmp'), fixture('btmp-basic.bin'));
    const events = await snapshotLogins(options(root, state, clock), { sshdLogPaths: [join(fixtures, 'auth-openssh-9.2.log')] });
    const lines = events.map((e) => `${String(payloadOf(e)['Operation'])} ${String(payloadOf(e)['UserName'])}`);
    expect(lines.slice(0, 3)).toEqual(['Login dave', 'Logout dave', 'Login erin']);
    // 3 btmp + 4 sshd failures, of which 2 are the same attempts (mallory's invalid user, root's password)
    expect(lines.filter((l) => l.startsWith('LoginFailed'))).toHaveLength(5);
    expect(readdirSync(state)).toEqual([]);
    const sink = new RecordingSink();
    events.forEach((e) => sink.emit(e));
    expectValid(sink);
  });

  it('snapshots the last auth.log line even when the file does not end with a newline', async () => {
    const log = join(root, 'var/log/auth.log');
    writeFileSync(log, 'Jan 10 10:00:07 host sshd[130]: Accepted password for root from 192.0.2.4 port 22 ssh2');
    const events = await snapshotLogins(options(root, state, clock), { sshdLogPaths: [log] });
    expect(events.map((e) => `${String(payloadOf(e)['Operation'])} ${String(payloadOf(e)['UserName'])}`)).toEqual(['Login root']);
  });
});
