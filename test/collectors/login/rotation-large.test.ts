import { appendFileSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { createLoginCollector } from '../../../collectors/login/index.js';
import { MAX_READ_BYTES } from '../../../collectors/login/incremental-file.js';
import { UTMP_RECORD_SIZE } from '../../../collectors/login/utmp-record.js';
import { ManualClock, RecordingSink, fixtures, options, payloadOf, pollUntil, tempDir } from './helpers.js';

const users = (sink: RecordingSink): string[] => sink.events.map((e) => String(payloadOf(e)['UserName']));
const failed = (n: number, user: string): string =>
  `2024-03-01T14:00:${String(n).padStart(2, '0')}.000000+00:00 gw sshd[${3000 + n}]: Failed password for ${user} from 203.0.113.${n} port ${40000 + n} ssh2\n`;
/** Lines sshd's parser ignores, about `bytes` of them. */
const noise = (bytes: number): string => {
  const line = '2024-03-01T14:00:00.500000+00:00 gw CRON[1191]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)\n';
  return line.repeat(Math.ceil(bytes / line.length));
};

describe('a rotated login file larger than one read', () => {
  let root: string;
  let state: string;
  let clock: ManualClock;

  beforeEach(async () => {
    root = await tempDir('root');
    state = await tempDir('state');
    mkdirSync(join(root, 'var/log'), { recursive: true });
    clock = new ManualClock(Date.parse('2024-03-01T14:00:01Z'));
  });

  it('finishes a rotated auth.log of more than 4 MiB in bounded chunks, losing no line', async () => {
    const log = join(root, 'var/log/auth.log');
    writeFileSync(log, '');
    const sink = new RecordingSink();
    const collector = createLoginCollector(options(root, state, clock));
    await collector.start?.(sink);
    // written between two polls, then rotated: the old inode holds > 4 MiB nobody has read yet
    appendFileSync(log, failed(1, 'first') + noise(MAX_READ_BYTES) + failed(2, 'past4mib') + noise(MAX_READ_BYTES / 2) + failed(3, 'last'));
    expect(statSync(log).size).toBeGreaterThan(MAX_READ_BYTES * 1.5);
    renameSync(log, `${log}.1`);
    writeFileSync(log, failed(4, 'afterrotation'));
    await pollUntil(clock, () => sink.events.length >= 4, 1000); // condition-based: returns as soon as all arrived
    await collector.stop();
    expect(users(sink)).toEqual(['first', 'past4mib', 'last', 'afterrotation']);
    expect(sink.errors).toEqual([]);
  });

  it('finishes a rotated btmp of more than 4 MiB, then reads the new one', async () => {
    const btmp = join(root, 'var/log/btmp');
    writeFileSync(join(root, 'var/log/auth.log'), ''); // keeps the collector off the host's journal
    writeFileSync(btmp, '');
    const records = readFileSync(join(fixtures, 'btmp-basic.bin'));
    const mallory = records.subarray(0, UTMP_RECORD_SIZE);
    const root2 = records.subarray(UTMP_RECORD_SIZE, 2 * UTMP_RECORD_SIZE);
    // empty records (type 0) are skipped: 5 MiB of them between two failed logins
    const filler = Buffer.alloc(Math.ceil((MAX_READ_BYTES * 1.25) / UTMP_RECORD_SIZE) * UTMP_RECORD_SIZE);
    const sink = new RecordingSink();
    const collector = createLoginCollector(options(root, state, clock));
    await collector.start?.(sink);
    appendFileSync(btmp, Buffer.concat([mallory, filler, root2]));
    renameSync(btmp, `${btmp}.1`);
    writeFileSync(btmp, mallory);
    await pollUntil(clock, () => sink.events.length >= 3, 1000);
    await collector.stop();
    expect(users(sink)).toEqual(['mallory', 'root', 'mallory']);
    expect(sink.errors).toEqual([]);
  });
});
