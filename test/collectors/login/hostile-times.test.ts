import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLoginCollector, loginCollectorFactory, snapshotLogins } from '../../../collectors/login/index.js';
import type { EventSink } from '../../../collectors/types.js';
import { ManualClock, RecordingSink, options, payloadOf, pollUntil, standInJournalctl, tempDir } from './helpers.js';

/** Every unhandled rejection while a test runs; a collector must never leave one. */
const rejections: unknown[] = [];
const onRejection = (reason: unknown): void => {
  rejections.push(reason);
};

const pamLine = (epoch: string, user: string): string => `2024-03-01T12:00:00Z,${epoch},4242,auth,sshd,${user},203.0.113.9,ssh,2\n`;

describe('Login collector under impossible record times', () => {
  let root: string;
  let state: string;
  let clock: ManualClock;

  beforeEach(async () => {
    rejections.length = 0;
    process.on('unhandledRejection', onRejection);
    root = await tempDir('root');
    state = await tempDir('state');
    mkdirSync(join(root, 'var/lib/iot-micro-agent'), { recursive: true });
    mkdirSync(join(root, 'var/log'), { recursive: true });
    clock = new ManualClock(Date.parse('2024-03-01T12:00:01Z'));
  });

  afterEach(() => {
    process.off('unhandledRejection', onRejection);
  });

  it('skips a PAM line with epoch 1e20, reports it once with a count, and keeps reporting the good lines', async () => {
    const pamLog = join(root, 'var/lib/iot-micro-agent/pam.log');
    writeFileSync(pamLog, '');
    const sink = new RecordingSink();
    const collector = createLoginCollector(options(root, state, clock, { Login_UsePAM: true }));
    await collector.start?.(sink);
    appendFileSync(pamLog, pamLine('100000000000000000000', 'mallory') + pamLine('1709294400', 'alice'));
    await pollUntil(clock, () => sink.events.length > 0, 1000);
    appendFileSync(pamLog, pamLine('100000000000000000000', 'mallory') + pamLine('1709294401', 'bob'));
    await pollUntil(clock, () => sink.events.length > 1, 1000);
    const status = collector.status?.();
    await collector.stop();
    expect(rejections).toEqual([]);
    expect(sink.events.map((e) => payloadOf(e)['UserName'])).toEqual(['alice', 'bob']);
    const reports = sink.errors.filter((e) => e.includes('impossible time'));
    expect(reports).toHaveLength(1);
    expect(reports[0]).toContain('pam');
    expect(status).toMatchObject({ state: 'running', detail: 'PAM hook log; 2 records with an impossible time skipped' });
  });

  it('skips a journal entry whose timestamp is beyond any date, without an unhandled rejection', async () => {
    const entry = (micros: string, user: string, cursor: string): string =>
      JSON.stringify({ __CURSOR: cursor, __REALTIME_TIMESTAMP: micros, _PID: '900', _UID: '0', _COMM: 'sshd', _EXE: '/usr/sbin/sshd', SYSLOG_IDENTIFIER: 'sshd', MESSAGE: `Failed password for ${user} from 203.0.113.9 port 40222 ssh2` });
    const jsonl = join(await tempDir('journal'), 'entries.jsonl');
    writeFileSync(jsonl, `${entry('99999999999999999999999', 'mallory', 'c1')}\n${entry('1709294400000000', 'alice', 'c2')}\n`);
    const { command } = await standInJournalctl(jsonl);
    const sink = new RecordingSink();
    const collector = loginCollectorFactory({ journalctl: command })(options(root, state, clock));
    await collector.start?.(sink);
    // the stand-in is a node process: under load it can take seconds to print
    await pollUntil(clock, () => sink.events.length > 0, 1000);
    await collector.stop();
    expect(rejections).toEqual([]);
    expect(sink.events.map((e) => payloadOf(e)['UserName'])).toEqual(['alice']);
    expect(sink.errors.filter((e) => e.includes('impossible time'))).toHaveLength(1);
  });

  it('leaves no unhandled rejection when the sink throws on every event and every error', async () => {
    const pamLog = join(root, 'var/lib/iot-micro-agent/pam.log');
    writeFileSync(pamLog, '');
    let calls = 0;
    const sink: EventSink = {
      emit: () => {
        calls++;
        throw new Error('the gateway refused the event');
      },
      error: () => {
        calls++;
        throw new Error('the gateway refused the error too');
      },
    };
    const collector = createLoginCollector(options(root, state, clock, { Login_UsePAM: true }));
    await collector.start?.(sink);
    appendFileSync(pamLog, pamLine('100000000000000000000', 'mallory') + pamLine('1709294400', 'alice'));
    await pollUntil(clock, () => calls >= 3, 1000); // the impossible time, alice's event, the dropped event
    await collector.stop();
    await new Promise((r) => setImmediate(r));
    expect(calls).toBeGreaterThanOrEqual(3);
    expect(rejections).toEqual([]);
  });

  it('leaves a hostile PAM line out of collect --once instead of throwing', async () => {
    const pamLog = join(root, 'var/lib/iot-micro-agent/pam.log');
    writeFileSync(pamLog, pamLine('100000000000000000000', 'mallory') + pamLine('1709294400', 'alice'));
    const events = await snapshotLogins(options(root, state, clock, { Login_UsePAM: true }));
    expect(events.map((e) => payloadOf(e)['UserName'])).toEqual(['alice']);
  });
});
