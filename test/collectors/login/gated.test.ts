import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadChangeGate } from '../../../collectors/change-gate.js';
import { GATED_SAFETY_MS, createLoginCollector } from '../../../collectors/login/index.js';
import { UTMP_RECORD_SIZE } from '../../../collectors/login/utmp-record.js';
import { waitUntil } from '../../support/stream-tally.js';
import { TimerLog } from '../../support/timer-log.js';
import { RecordingSink, fixtures, options, payloadOf, tempDir } from './helpers.js';

const gate = loadChangeGate();
const skipReason = gate === undefined ? 'the cn-proc addon (with its change gate) does not load here' : undefined;

describe(`Login collector with the change gate, on the system clock${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  it.skipIf(skipReason !== undefined)('registers no per-second interval, yet reports a wtmp login appended after start once its merge window ends', async () => {
    const root = await tempDir('gated-root');
    const state = await tempDir('gated-state');
    mkdirSync(join(root, 'var/log'), { recursive: true });
    const wtmp = join(root, 'var/log/wtmp');
    writeFileSync(wtmp, Buffer.alloc(0));
    writeFileSync(join(root, 'var/log/auth.log'), ''); // no journalctl child
    const clock = new TimerLog();
    const collector = createLoginCollector({ ...options(root, state, clock), ...(gate ? { changeGate: gate } : {}) });
    const sink = new RecordingSink();
    await collector.start?.(sink);
    try {
      expect(clock.intervals()).toEqual([GATED_SAFETY_MS]);
      // alice logs in on pts/0: the gate sees wtmp grow, the poll holds her for a partner, a timer lets her leave
      appendFileSync(wtmp, readFileSync(join(fixtures, 'wtmp-basic.bin')).subarray(UTMP_RECORD_SIZE, 2 * UTMP_RECORD_SIZE));
      await waitUntil(() => sink.events.length > 0, 15_000, 'the Login event');
      expect(payloadOf(sink.events[0])).toMatchObject({ Operation: 'Login', UserName: 'alice' });
      expect(clock.intervals()).toEqual([GATED_SAFETY_MS]);
    } finally {
      await collector.stop();
    }
  });
});
