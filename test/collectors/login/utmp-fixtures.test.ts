import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LoginObservation } from '../../../collectors/login/observation.js';
import { UtmpDecoder } from '../../../collectors/login/wtmp-reader.js';
import { UTMP_RECORD_SIZE, addressOf, parseUtmpRecord } from '../../../collectors/login/utmp-record.js';
import { fixtures } from './helpers.js';

function decodeFile(name: string, kind: 'wtmp' | 'btmp', final = true): { obs: LoginObservation[]; decoder: UtmpDecoder } {
  const decoder = new UtmpDecoder(kind);
  const { observations } = decoder.decode(readFileSync(join(fixtures, name)), final);
  return { obs: observations, decoder };
}

function textRecords(name: string): string[] {
  return readFileSync(join(fixtures, name), 'latin1').split('\n').filter((l) => l !== '');
}

const hasTool = (tool: string): boolean => ['/usr/bin', '/bin'].some((d) => existsSync(join(d, tool)));

describe('wtmp and btmp fixtures built with utmpdump -r', () => {
  // each text record of wtmp-basic.txt, beside what it must become (undefined: no event)
  const wtmpCases: [string, Partial<LoginObservation> | undefined][] = [
    ['[2] [00000] [~~  ] [reboot  ] [~           ] [6.1.0-18-amd64      ] [0.0.0.0        ] [2024-03-01T08:00:00,000000+00:00]', undefined],
    ['[7] [01201] [ts/0] [alice   ] [pts/0       ] [10.0.0.5            ] [10.0.0.5       ] [2024-03-01T12:00:00,000000+00:00]',
      { operation: 'Login', user: 'alice', pid: 1201, terminal: 'pts/0', remoteHost: '10.0.0.5', timeMs: Date.parse('2024-03-01T12:00:00Z') }],
    ['[7] [00733] [tty1] [bob     ] [tty1        ] [                    ] [0.0.0.0        ] [2024-03-01T12:05:00,000000+00:00]',
      { operation: 'Login', user: 'bob', pid: 733, terminal: 'tty1' }],
    ['[8] [01201] [ts/0] [        ] [pts/0       ] [                    ] [0.0.0.0        ] [2024-03-01T12:30:00,000000+00:00]',
      { operation: 'Logout', user: 'alice', pid: 1201, terminal: 'pts/0', remoteHost: '10.0.0.5', timeMs: Date.parse('2024-03-01T12:30:00Z') }],
    ['[7] [01388] [ts/1] [carol   ] [pts/1       ] [2001:db8::7         ] [2001:db8::7    ] [2024-03-01T13:00:00,000000+00:00]',
      { operation: 'Login', user: 'carol', remoteHost: '2001:db8::7' }],
    ['[8] [00733] [tty1] [        ] [tty1        ] [                    ] [0.0.0.0        ] [2024-03-01T13:10:00,000000+00:00]',
      { operation: 'Logout', user: 'bob', terminal: 'tty1' }],
  ];

  it('turns USER_PROCESS into Login and the DEAD_PROCESS on the same line into that user\'s Logout', () => {
    expect(textRecords('wtmp-basic.txt')).toEqual(wtmpCases.map(([text]) => text));
    const { obs, decoder } = decodeFile('wtmp-basic.bin', 'wtmp');
    const expected = wtmpCases.flatMap(([, e]) => (e === undefined ? [] : [e]));
    expect(obs).toHaveLength(expected.length);
    expected.forEach((e, i) => expect(obs[i]).toMatchObject(e));
    expect(obs[1]).not.toHaveProperty('remoteHost');
    expect(decoder.sessions.has('pts/1')).toBe(true);
    expect(decoder.counters).toEqual({ records: 6, garbage: 0, truncated: 0 });
  });

  const btmpCases: [string, Partial<LoginObservation>][] = [
    ['[6] [02001] [    ] [mallory ] [ssh:notty   ] [203.0.113.9         ] [203.0.113.9    ] [2024-03-01T14:00:00,000000+00:00]',
      { operation: 'LoginFailed', user: 'mallory', pid: 2001, program: 'sshd', terminal: 'ssh:notty', remoteHost: '203.0.113.9' }],
    ['[6] [02002] [    ] [root    ] [ssh:notty   ] [198.51.100.3        ] [198.51.100.3   ] [2024-03-01T14:00:05,000000+00:00]',
      { operation: 'LoginFailed', user: 'root', pid: 2002, remoteHost: '198.51.100.3' }],
    ['[7] [00900] [tty2] [UNKNOWN ] [tty2        ] [                    ] [0.0.0.0        ] [2024-03-01T14:01:00,000000+00:00]',
      { operation: 'LoginFailed', user: 'UNKNOWN', terminal: 'tty2' }],
  ];

  it('turns every btmp attempt into LoginFailed', () => {
    expect(textRecords('btmp-basic.txt')).toEqual(btmpCases.map(([text]) => text));
    const { obs } = decodeFile('btmp-basic.bin', 'btmp');
    expect(obs).toHaveLength(btmpCases.length);
    btmpCases.forEach(([, e], i) => expect(obs[i]).toMatchObject({ ...e, sources: ['btmp'] }));
  });

  it('skips and counts garbage records without losing the good ones around them', () => {
    const { obs, decoder } = decodeFile('wtmp-garbage.bin', 'wtmp');
    expect(obs.map((o) => o.user)).toEqual(['alice']);
    expect(decoder.counters).toEqual({ records: 2, garbage: 2, truncated: 0 });
  });

  it('counts a half record at the end of a finished file as truncated and keeps the whole ones', () => {
    const { obs, decoder } = decodeFile('wtmp-truncated.bin', 'wtmp');
    expect(obs.map((o) => [o.operation, o.user])).toEqual([['Login', 'alice']]);
    expect(decoder.counters.truncated).toBe(1);
  });

  it('leaves a half record of a growing file unread, for the next poll', () => {
    const decoder = new UtmpDecoder('wtmp');
    const r = decoder.decode(readFileSync(join(fixtures, 'wtmp-truncated.bin')), false);
    expect(r.used).toBe(2 * UTMP_RECORD_SIZE);
    expect(decoder.counters.truncated).toBe(0);
  });

  it('makes hostile user names, hosts and terminals printable and bounded', () => {
    const { obs } = decodeFile('wtmp-hostile.bin', 'wtmp');
    // ESC escaped, the bidi override escaped, a 32-byte name without NUL cut at the field's end
    expect(obs.map((o) => o.user)).toEqual(['\\x1b[31mroot\\x1b[0m', 'adm\\u{202e}nimda', 'A'.repeat(32)]);
    expect(obs[0]?.remoteHost).toBe('evil\uFFFD\uFFFDhost');
    expect(obs[1]?.terminal).toBe('pts/5\\x09tab');
    for (const o of obs) expect(JSON.stringify(o)).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202e]/);
  });

  it('reads the address from ut_addr_v6 as IPv4 or compressed IPv6', () => {
    expect(addressOf(Uint8Array.from([10, 0, 0, 5, ...new Array<number>(12).fill(0)]))).toBe('10.0.0.5');
    expect(addressOf(Uint8Array.from([0x20, 0x01, 0x0d, 0xb8, ...new Array<number>(11).fill(0), 7]))).toBe('2001:db8::7');
    expect(addressOf(new Uint8Array(16))).toBeUndefined();
    expect(parseUtmpRecord(Buffer.alloc(100)).kind).toBe('garbage');
  });
});

const lastSkip = hasTool('last') && hasTool('lastb') ? false : 'util-linux last/lastb not installed';

describe.skipIf(lastSkip !== false)(`cross-check with last -f / lastb -f${lastSkip === false ? '' : ` (skipped: ${lastSkip})`}`, () => {
  /** `last -w -i --time-format iso` rows: user, line, address, login time. */
  function lastRows(tool: string, file: string): string[][] {
    const text = execFileSync(tool, ['-f', join(fixtures, file), '-w', '-i', '--time-format', 'iso'], { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } });
    return text.split('\n').filter((l) => /\d{4}-\d\d-\d\dT/.test(l) && !l.startsWith('reboot') && !l.includes(' begins ')).map((l) => l.split(/\s+/).slice(0, 4));
  }

  it('finds the same logins as last, with the same user, terminal, address and time', () => {
    const logins = decodeFile('wtmp-basic.bin', 'wtmp').obs.filter((o) => o.operation === 'Login');
    const rows = lastRows('last', 'wtmp-basic.bin');
    expect(rows).toHaveLength(logins.length);
    for (const o of logins) {
      const iso = new Date(o.timeMs).toISOString().replace('.000Z', '+00:00');
      expect(rows).toContainEqual([o.user, o.terminal, o.remoteHost ?? '0.0.0.0', iso]);
    }
  });

  it('finds the same failed logins as lastb', () => {
    const failed = decodeFile('btmp-basic.bin', 'btmp').obs;
    const rows = lastRows('lastb', 'btmp-basic.bin');
    expect(rows).toHaveLength(failed.length);
    for (const o of failed) {
      const iso = new Date(o.timeMs).toISOString().replace('.000Z', '+00:00');
      expect(rows).toContainEqual([o.user, o.terminal, o.remoteHost ?? '0.0.0.0', iso]);
    }
  });
});
