import { describe, expect, it } from 'vitest';
import { isKernelThread, isPidName, parseCmdline, parseLastPid, parsePasswd, parseRealUid, parseStat } from '../../../collectors/process/parse.js';
import { diffProcesses, inCyclicRange, processKey } from '../../../collectors/process/process-diff.js';

const statLine = (comm: string, tail = 'S 1 42 42 0 -1 4194560 1 0 0 0 3 1 0 0 20 0 1 0 777 9048064 212') => `42 (${comm}) ${tail}\n`;

describe('parseStat', () => {
  it('reads pid, comm, state, parent, flags and start time (field 22)', () => {
    expect(parseStat(statLine('sleep'))).toEqual({ pid: 42, comm: 'sleep', state: 'S', ppid: 1, flags: 4194560, startTime: 777 });
  });

  it('takes the comm up to the last parenthesis, so hostile names cannot shift fields', () => {
    expect(parseStat(statLine('a) R 9 (b'))).toMatchObject({ comm: 'a) R 9 (b', state: 'S', ppid: 1, startTime: 777 });
    expect(parseStat(statLine('x\ny) Z 0 ( ))'))).toMatchObject({ comm: 'x\ny) Z 0 ( ))', ppid: 1, startTime: 777 });
  });

  it('rejects truncated or garbled lines instead of guessing', () => {
    expect(parseStat('42 (sleep) S 1 42')).toBeUndefined();
    expect(parseStat('no parens at all')).toBeUndefined();
    expect(parseStat(statLine('x', 'S one 42 42 0 -1 0 1 0 0 0 3 1 0 0 20 0 1 0 777'))).toBeUndefined();
  });

  it('recognises kernel threads by PF_KTHREAD or kthreadd parentage', () => {
    const kworker = parseStat(statLine('kworker/0:1', 'I 2 0 0 0 -1 69238880 0 0 0 0 0 0 0 0 20 0 1 0 5'));
    expect(kworker && isKernelThread(kworker)).toBe(true);
    const user = parseStat(statLine('sleep'));
    expect(user && isKernelThread(user)).toBe(false);
  });
});

describe('other parsers', () => {
  it('takes the real uid, not the effective one, from status', () => {
    expect(parseRealUid('Name:\tpasswd\nUid:\t1000\t0\t0\t0\nGid:\t1000\t1000\t1000\t1000\n')).toBe(1000);
    expect(parseRealUid('Name:\tx\n')).toBeUndefined();
  });

  it('joins argv with spaces, drops trailing NULs and keeps inner spaces', () => {
    expect(parseCmdline(Buffer.from('sleep\u00001000\u0000a b\u0000'))).toBe('sleep 1000 a b');
    expect(parseCmdline(Buffer.from('nginx: worker process'))).toBe('nginx: worker process');
    expect(parseCmdline(Buffer.alloc(0))).toBe('');
  });

  it('maps uids to names, first entry wins, comments and junk skipped', () => {
    const users = parsePasswd('# c\nroot:x:0:0::/root:/bin/sh\ntoor:x:0:0::/:/bin/sh\nbad line\nbob:x:abc:1::/:/bin/sh\nalice:x:1000:1000::/:/bin/sh');
    expect([...users]).toEqual([[0, 'root'], [1000, 'alice']]);
  });

  it('reads the last pid from loadavg and recognises pid directory names', () => {
    expect(parseLastPid('0.21 0.25 0.13 4/116 5792\n')).toBe(5792);
    expect(parseLastPid('garbage')).toBeUndefined();
    expect(['1', '4194304', 'self', '01', '', '12a', 'thread-self'].map(isPidName)).toEqual([true, true, false, false, false, false, false]);
  });
});

describe('diffProcesses', () => {
  const known = new Map([
    [10, { pid: 10, startTime: 100 }],
    [20, { pid: 20, startTime: 200 }],
    [30, { pid: 30, startTime: 300 }],
  ]);

  it('finds new pids and gone ones without rereading known pids', () => {
    expect(diffProcesses(known, [10, 20, 40])).toEqual({ created: [40], terminated: [{ pid: 30, startTime: 300 }] });
  });

  it('turns a rechecked pid with a new start time into a termination plus a creation', () => {
    const diff = diffProcesses(known, [10, 20, 30], new Map([[20, 999], [30, 300]]));
    expect(diff).toEqual({ created: [20], terminated: [{ pid: 20, startTime: 200 }] });
  });

  it('terminates a rechecked pid that vanished between listing and reading', () => {
    expect(diffProcesses(known, [10, 20, 30], new Map([[10, undefined]]))).toEqual({ created: [], terminated: [{ pid: 10, startTime: 100 }] });
  });

  it('limits reuse checks to the pids allocated since the last poll, across the pid_max wrap', () => {
    expect([5, 6, 10, 11].map((p) => inCyclicRange(p, 5, 10))).toEqual([false, true, true, false]);
    expect([32767, 32768, 300, 301, 5000].map((p) => inCyclicRange(p, 32760, 300))).toEqual([true, true, true, false, false]);
    expect(inCyclicRange(7, 9, 9)).toBe(false);
    expect(processKey({ pid: 7, startTime: 9 })).toBe('7:9');
  });
});
