import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loginCollectorFactory, snapshotLogins } from '../../../collectors/login/index.js';
import { parseJournalLine } from '../../../collectors/login/journal-follower.js';
import { ManualClock, RecordingSink, fixtures, journalctlCalls, options, payloadOf, pollUntil, standInJournalctl, tempDir } from './helpers.js';

const NOW = Date.parse('2026-12-02T01:00:00Z');
const summary = (sink: RecordingSink): string[] =>
  sink.events.map((e) => `${String(payloadOf(e)['Operation'])} ${String(payloadOf(e)['UserName'])}`);

describe('journal entries are trusted by the fields journald sets, not by SYSLOG_IDENTIFIER', () => {
  // journal-trust.jsonl: a real systemd-journald 252 and a real OpenSSH 9.2 sshd; the forgeries are
  // `logger -t sshd` run as nobody, the same logger copied to a file named sshd and run as nobody,
  // and `logger -t sshd` run as root (see test/fixtures/login/build.sh)
  it('reports the real sshd logins through the follower and none of the forged ones', async () => {
    const root = await tempDir('root');
    mkdirSync(join(root, 'etc'), { recursive: true });
    writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\niotmatest:x:1001:1001::/home/iotmatest:/bin/sh\n');
    const { command, argsLog } = await standInJournalctl(join(fixtures, 'journal-trust.jsonl'));
    const clock = new ManualClock(NOW);
    const sink = new RecordingSink();
    const collector = loginCollectorFactory({ journalctl: command })(options(root, await tempDir('state'), clock));
    await collector.start?.(sink);
    await pollUntil(clock, () => sink.events.length >= 3, 1000); // the stand-in may take seconds to start under load
    await collector.stop();
    expect(summary(sink)).toEqual(['Login iotmatest', 'Logout iotmatest', 'LoginFailed nosuchuser']);
    expect(payloadOf(sink.events[0])).toMatchObject({ ProcessId: 24076, UserId: '1001', RemoteAddress: '127.0.0.1', RemotePort: '43478' });
    const forged = sink.events.filter((e) => ['root', 'admin'].includes(String(payloadOf(e)['UserName'])));
    expect(forged).toEqual([]);
    const [args] = journalctlCalls(argsLog);
    // root's entries tagged sshd, or a process named sshd; a user's `logger -t sshd` matches neither
    expect(args?.slice(args.indexOf('_UID=0'))).toEqual([
      '_UID=0', 'SYSLOG_IDENTIFIER=sshd', 'SYSLOG_IDENTIFIER=sshd-session', 'SYSLOG_IDENTIFIER=sshd-auth',
      '+', '_COMM=sshd', '_COMM=sshd-session', '_COMM=sshd-auth',
    ]);
  });

  it('leaves the forged entries out of collect --once and asks journalctl only for root\'s and sshd\'s entries', async () => {
    const { command, argsLog } = await standInJournalctl(join(fixtures, 'journal-trust.jsonl'), true);
    const root = await tempDir('root');
    const events = await snapshotLogins(options(root, await tempDir('state'), new ManualClock(NOW)), { journalctl: command });
    expect(events.map((e) => `${String(payloadOf(e)['Operation'])} ${String(payloadOf(e)['UserName'])}`)).toEqual(['Login iotmatest', 'Logout iotmatest', 'LoginFailed nosuchuser']);
    expect(journalctlCalls(argsLog)[0]).toEqual(expect.arrayContaining(['--lines=2000', '_UID=0', '+', '_COMM=sshd']));
  });

  it('takes from sshd\'s unprivileged session child only the end of the session', () => {
    const child = { __CURSOR: 'c', __REALTIME_TIMESTAMP: '1796172790496002', _PID: '24122', _UID: '1001', _COMM: 'sshd', _EXE: '/usr/sbin/sshd', SYSLOG_IDENTIFIER: 'sshd' };
    const logout = parseJournalLine(JSON.stringify({ ...child, MESSAGE: 'Disconnected from user iotmatest 127.0.0.1 port 43478' }), NOW);
    expect(logout.observation).toMatchObject({ operation: 'Logout', user: 'iotmatest' });
    const claim = parseJournalLine(JSON.stringify({ ...child, MESSAGE: 'Accepted password for root from 203.0.113.9 port 50000 ssh2' }), NOW);
    expect(claim).toEqual({ cursor: 'c' });
  });

  it('accepts root\'s sshd entry whose process exited before journald read it, and no one else\'s', () => {
    const gone = { __CURSOR: 'c', __REALTIME_TIMESTAMP: '1796172790496002', _PID: '24144', SYSLOG_IDENTIFIER: 'sshd', MESSAGE: 'Invalid user nosuchuser from 127.0.0.1 port 43486' };
    expect(parseJournalLine(JSON.stringify({ ...gone, _UID: '0' }), NOW).observation).toMatchObject({ operation: 'LoginFailed' });
    expect(parseJournalLine(JSON.stringify({ ...gone, _UID: '1001', _COMM: 'sshd' }), NOW).observation).toBeUndefined();
    expect(parseJournalLine(JSON.stringify(gone), NOW).observation).toBeUndefined();
    expect(parseJournalLine(JSON.stringify({ ...gone, _UID: '0', _SYSTEMD_UNIT: 'cron.service' }), NOW).observation).toBeUndefined();
    expect(parseJournalLine(JSON.stringify({ ...gone, _UID: '0', _EXE: '/usr/sbin/sshd (deleted)' }), NOW).observation).toBeDefined();
  });
});
