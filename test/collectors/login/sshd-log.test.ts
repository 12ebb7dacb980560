import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseJournalLine } from '../../../collectors/login/journal-follower.js';
import { parseSshdLogLine, parseSshdMessage } from '../../../collectors/login/sshd-log-parse.js';
import { CAPS } from '../../../collectors/login/text-bounds.js';
import { fixtures } from './helpers.js';

const NOW = Date.parse('2024-03-02T00:00:00Z');
const lines = (name: string): string[] => readFileSync(join(fixtures, name), 'utf8').split('\n').filter((l) => l !== '');

describe('sshd log lines, OpenSSH up to 9.7 (program sshd, RFC 3339 timestamps)', () => {
  // each line of auth-openssh-9.2.log beside what it must become (undefined: not a login event)
  const cases: [number, Record<string, unknown> | undefined][] = [
    [0, { operation: 'Login', user: 'alice', pid: 1190, program: 'sshd', method: 'password', remoteHost: '10.0.0.5', remotePort: 50122, timeMs: Date.parse('2024-03-01T12:00:00.120Z') }],
    [1, { operation: 'Login', user: 'alice', sources: ['sshd-log-weak'] }],
    [2, undefined], // CRON's pam_unix line is not sshd's
    [3, { operation: 'LoginFailed', user: 'mallory', invalidUser: true, remoteHost: '203.0.113.9', remotePort: 40222 }],
    [4, { operation: 'LoginFailed', user: 'mallory', invalidUser: true, method: 'password', pid: 2001 }],
    [5, { operation: 'LoginFailed', user: 'root', method: 'password', remoteHost: '198.51.100.3' }],
    [6, undefined], // preauth close: the failure was already reported
    [7, { operation: 'LoginFailed', user: 'alice', method: 'publickey', remoteHost: '10.0.0.8' }],
    [8, undefined], // "Failed none" is the client asking for the allowed methods
    [9, { operation: 'Login', user: 'alice', method: 'publickey', remoteHost: '2001:db8::42', remotePort: 50300 }],
    [10, undefined],
    [11, { operation: 'Logout', user: 'alice', remoteHost: '2001:db8::42', remotePort: 50300, pid: 2102 }],
    [12, { operation: 'Logout', user: 'alice', sources: ['sshd-log-weak'] }],
  ];
  const file = lines('auth-openssh-9.2.log');

  it.each(cases)('line %i of auth-openssh-9.2.log', (index, expected) => {
    const obs = parseSshdLogLine(file[index] ?? '', NOW);
    if (expected === undefined) expect(obs).toBeUndefined();
    else expect(obs).toMatchObject(expected);
  });

  it('covers every line of the fixture', () => {
    expect(cases).toHaveLength(file.length);
  });
});

describe('sshd log lines, OpenSSH 9.8+ (program sshd-session, traditional timestamps)', () => {
  const file = lines('auth-openssh-9.8.log');

  it('reads sshd-session lines and dates them in the current year', () => {
    expect(parseSshdLogLine(file[0] ?? '', NOW)).toMatchObject({
      operation: 'Login', user: 'alice', program: 'sshd-session', pid: 1190, method: 'keyboard-interactive/pam',
      timeMs: new Date(2024, 2, 1, 12, 0, 0).getTime(),
    });
  });

  it('ignores the listener\'s penalty lines and reports invalid users and disconnects', () => {
    expect(parseSshdLogLine(file[1] ?? '', NOW)).toBeUndefined();
    expect(parseSshdLogLine(file[2] ?? '', NOW)).toMatchObject({ operation: 'LoginFailed', user: 'mallory', invalidUser: true });
    expect(parseSshdLogLine(file[3] ?? '', NOW)).toMatchObject({ operation: 'LoginFailed', method: 'password', program: 'sshd-session' });
    expect(parseSshdLogLine(file[4] ?? '', NOW)).toMatchObject({ operation: 'Logout', user: 'alice', remotePort: 50122 });
  });

  it('dates a December line read in January in the previous year', () => {
    const jan = new Date(2025, 0, 2).getTime();
    const obs = parseSshdLogLine('Dec 31 23:59:00 gw sshd[1]: Failed password for root from 192.0.2.1 port 2 ssh2', jan);
    expect(new Date(obs?.timeMs ?? 0).getFullYear()).toBe(2024);
  });

  it('takes a line without syslog prefix (sshd -E) as an sshd message without pid', () => {
    const obs = parseSshdLogLine('Accepted publickey for bob from 127.0.0.1 port 33730 ssh2: ED25519 SHA256:x\r', NOW);
    expect(obs).toMatchObject({ operation: 'Login', user: 'bob', program: 'sshd', timeMs: NOW });
    expect(obs).not.toHaveProperty('pid');
  });
});

describe('journal JSON lines', () => {
  const file = lines('journal-openssh.jsonl');

  it('keeps the cursor of every entry and turns sshd entries into observations', () => {
    const entries = file.map((l) => parseJournalLine(l, NOW));
    expect(entries.map((e) => e.cursor)).toEqual(['s=1;i=a1', 's=1;i=a2', 's=1;i=a3', 's=1;i=a4', 's=1;i=a5', undefined]);
    expect(entries[0]?.observation).toMatchObject({ operation: 'Login', user: 'alice', pid: 1190, program: 'sshd-session', sources: ['journal'], timeMs: Date.parse('2024-03-01T12:00:00.120Z') });
    expect(entries[1]?.observation).toBeUndefined();
    expect(entries[2]?.observation).toMatchObject({ operation: 'LoginFailed', user: 'mallory', pid: 2001 });
    expect(entries[4]?.observation).toMatchObject({ operation: 'Logout', user: 'alice' });
    expect(entries[5]).toEqual({});
  });

  it('decodes a byte-array MESSAGE and escapes the hostile user in it', () => {
    const obs = parseJournalLine(file[3] ?? '', NOW).observation;
    expect(obs?.user).toBe('\uFFFD\\x1b[2Jroot\\x0afake');
    expect(obs?.remoteHost).toBe('203.0.113.10');
  });
});

describe('hostile user names in sshd lines', () => {
  const ctx = { timeMs: NOW, source: 'sshd-log' as const, pid: 9 };

  it('cannot move the real source address with a fake " from ... port" inside the name', () => {
    const obs = parseSshdMessage('Failed password for invalid user x from 6.6.6.6 port 1 ssh2 from 192.0.2.9 port 4242 ssh2', ctx);
    expect(obs).toMatchObject({ user: 'x from 6.6.6.6 port 1 ssh2', remoteHost: '192.0.2.9', remotePort: 4242 });
  });

  it('caps an endless name and keeps it one printable line', () => {
    const name = `${'\u202e\n\t'.repeat(50)}${'z'.repeat(5000)}`;
    const obs = parseSshdMessage(`Invalid user ${name} from 192.0.2.9 port 22`, ctx);
    expect([...(obs?.user ?? '')].length).toBeLessThanOrEqual(CAPS.user);
    expect(obs?.user?.endsWith('…')).toBe(true);
    expect(obs?.user).not.toMatch(/[\n\t\u202e]/);
  });

  it('escapes backslashes so an escaped-looking name stays distinguishable', () => {
    expect(parseSshdMessage('Invalid user a\\x0ab from 192.0.2.9 port 22', ctx)?.user).toBe('a\\\\x0ab');
  });

  it('ignores lines of other programs that imitate sshd wording', () => {
    expect(parseSshdLogLine('2024-03-01T12:00:00Z gw sudo[5]: Accepted password for root from 1.2.3.4 port 1 ssh2', NOW)).toBeUndefined();
  });
});
