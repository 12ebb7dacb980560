import { appendFileSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { createLoginCollector } from '../../../collectors/login/index.js';
import { UTMP_RECORD_SIZE } from '../../../collectors/login/utmp-record.js';
import { ManualClock, RecordingSink, fixtures, options, payloadOf, pollUntil, tempDir } from './helpers.js';

const fixture = (name: string): Buffer => readFileSync(join(fixtures, name));
/** Record i (0-based) of a binary fixture. */
const record = (name: string, i: number): Buffer => fixture(name).subarray(i * UTMP_RECORD_SIZE, (i + 1) * UTMP_RECORD_SIZE);
const summary = (sink: RecordingSink): string[] =>
  sink.events.map((e) => `${String(payloadOf(e)['Operation'])} ${String(payloadOf(e)['UserName'])}`);

describe('Login collector over wtmp and btmp files', () => {
  let root: string;
  let state: string;
  let wtmp: string;
  let clock: ManualClock;

  beforeEach(async () => {
    root = await tempDir('root');
    state = await tempDir('state');
    mkdirSync(join(root, 'var/log'), { recursive: true });
    wtmp = join(root, 'var/log/wtmp');
    // An (empty) auth log keeps these file tests off the host's journal: no journalctl child to race with.
    writeFileSync(join(root, 'var/log/auth.log'), '');
    clock = new ManualClock(Date.parse('2024-03-01T12:00:00Z'));
  });

  it('reports nothing from history on the first run, yet names the user of a later logout', async () => {
    writeFileSync(wtmp, Buffer.concat([record('wtmp-basic.bin', 0), record('wtmp-basic.bin', 1)]));
    const sink = new RecordingSink();
    const collector = createLoginCollector(options(root, state, clock));
    await collector.start?.(sink);
    appendFileSync(wtmp, record('wtmp-basic.bin', 3)); // DEAD_PROCESS on pts/0, no user in it
    await pollUntil(clock, () => sink.events.length > 0);
    expect(summary(sink)).toEqual(['Logout alice']);
    expect(payloadOf(sink.events[0])).toMatchObject({ RemoteAddress: '10.0.0.5', Executable: 'pts/0', Result: 'Success' });
    await collector.stop();
    await collector.stop(); // idempotent
  });

  it('finishes the rotated wtmp.1 and reads the new wtmp from its start, without a warning', async () => {
    writeFileSync(wtmp, fixture('wtmp-rotated.bin')); // dave logs in on pts/2
    const sink = new RecordingSink();
    const collector = createLoginCollector(options(root, state, clock));
    await collector.start?.(sink);
    appendFileSync(wtmp, record('wtmp-basic.bin', 1)); // alice, written just before rotation
    renameSync(wtmp, `${wtmp}.1`);
    writeFileSync(wtmp, fixture('wtmp-after-rotation.bin')); // dave logs out, erin logs in
    await collector.stop();
    expect(summary(sink)).toEqual(['Login alice', 'Logout dave', 'Login erin']);
    expect(sink.errors).toEqual([]);
  });

  it('rereads a shrunk file from the start and warns that it can be tampering', async () => {
    writeFileSync(wtmp, fixture('wtmp-basic.bin'));
    const sink = new RecordingSink();
    const collector = createLoginCollector(options(root, state, clock));
    await collector.start?.(sink);
    writeFileSync(wtmp, fixture('wtmp-rotated.bin')); // same inode, 384 bytes < saved offset
    await collector.stop();
    expect(summary(sink)).toEqual(['Login dave']);
    expect(sink.errors.join('\n')).toMatch(/shrank from 2304 to 384 bytes.*tampering/);
  });

  it('rereads a replaced file (new inode, not a rotation) from the start and warns', async () => {
    writeFileSync(wtmp, fixture('wtmp-basic.bin'));
    const sink = new RecordingSink();
    const collector = createLoginCollector(options(root, state, clock));
    await collector.start?.(sink);
    renameSync(wtmp, join(root, 'moved-away')); // kept alive so its inode is not reused
    writeFileSync(wtmp, fixture('wtmp-rotated.bin'));
    await collector.stop();
    expect(summary(sink)).toEqual(['Login dave']);
    expect(sink.errors.join('\n')).toMatch(/was replaced .*tampering/);
  });

  it('resumes from the saved offsets after a restart: nothing replayed, nothing skipped', async () => {
    writeFileSync(wtmp, fixture('wtmp-basic.bin'));
    const first = new RecordingSink();
    const c1 = createLoginCollector(options(root, state, clock));
    await c1.start?.(first);
    appendFileSync(wtmp, fixture('wtmp-rotated.bin'));
    await c1.stop();
    appendFileSync(wtmp, record('wtmp-after-rotation.bin', 0)); // written while the agent was down
    const second = new RecordingSink();
    const c2 = createLoginCollector(options(root, state, clock));
    await c2.start?.(second);
    await c2.stop();
    expect(summary(first)).toEqual(['Login dave']);
    expect(summary(second)).toEqual(['Logout dave']);
    expect(readdirSync(state)).toContain('login-offsets.json');
  });

  it('skips garbage and waits for the rest of a half-written record', async () => {
    writeFileSync(wtmp, Buffer.alloc(0));
    const sink = new RecordingSink();
    const collector = createLoginCollector(options(root, state, clock));
    await collector.start?.(sink);
    appendFileSync(wtmp, fixture('wtmp-garbage.bin'));
    const erin = record('wtmp-after-rotation.bin', 1);
    appendFileSync(wtmp, erin.subarray(0, 100));
    await pollUntil(clock, () => sink.events.length > 0);
    appendFileSync(wtmp, erin.subarray(100));
    await collector.stop();
    expect(summary(sink)).toEqual(['Login alice', 'Login erin']);
  });

  it('reads a btmp that appears after the first run from its start', async () => {
    const sink = new RecordingSink();
    const collector = createLoginCollector(options(root, state, clock));
    await collector.start?.(sink);
    writeFileSync(join(root, 'var/log/btmp'), fixture('btmp-basic.bin'));
    await collector.stop();
    expect(summary(sink)).toEqual(['LoginFailed mallory', 'LoginFailed root', 'LoginFailed UNKNOWN']);
    expect(sink.events.every((e) => payloadOf(e)['Result'] === 'Fail')).toBe(true);
    expect(payloadOf(sink.events[0])).toMatchObject({ Executable: 'sshd', ProcessId: 2001, RemoteAddress: '203.0.113.9' });
  });

  it('starts afresh when its state file is corrupt, and says so', async () => {
    writeFileSync(join(state, 'login-offsets.json'), '{not json');
    writeFileSync(wtmp, fixture('wtmp-basic.bin'));
    const sink = new RecordingSink();
    const collector = createLoginCollector(options(root, state, clock));
    await collector.start?.(sink);
    await collector.stop();
    expect(sink.events).toEqual([]);
    expect(sink.errors.join()).toMatch(/not valid JSON/);
  });
});
