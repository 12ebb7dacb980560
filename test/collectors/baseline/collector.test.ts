import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CHECKS } from '../../../collectors/baseline/catalogue.js';
import { FULL_REPORT_EVERY_MS, createBaselineCollector, snapshotBaseline } from '../../../collectors/baseline/index.js';
import { collectorOptions, recordingSink } from '../../support/collector-harness.js';
import { expectSampleEvent } from '../../support/golden.js';
import { FakeClock } from '../../support/fake-clock.js';
import { officialEventProblems } from '../../support/official-conformance.js';
import { HAS_SHARED, NO_SHARED_REASON } from '../../support/shared-reference.js';
import { IS_ROOT, NOT_ROOT_REASON, materialize } from './host-root.js';

const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

function root(name: string): string {
  const dir = materialize(name);
  made.push(dir);
  return dir;
}

const ids = (payload: readonly Record<string, unknown>[]): string[] => payload.map((p) => (p['ExtraDetails'] as Record<string, string>)['CheckId'] ?? '');

describe('the Baseline collector', () => {
  it('sends every check first, then only what changed, so a fixed setting shows as Pass at the next interval, and all again a day later', async () => {
    const hostRoot = root('hardened');
    const clock = new FakeClock();
    const c = createBaselineCollector(collectorOptions({ hostRoot, clock }));
    const sink = recordingSink();
    await c.collect?.(sink);
    expect(sink.events).toHaveLength(1);
    expect(sink.events[0]?.payload).toHaveLength(CHECKS.length);

    await clock.advance(60_000);
    await c.collect?.(sink);
    expect(sink.events).toHaveLength(1);

    const dropIn = join(hostRoot, 'etc/ssh/sshd_config.d/10-cis.conf');
    writeFileSync(dropIn, 'PermitRootLogin yes\nX11Forwarding no\n');
    await clock.advance(60_000);
    await c.collect?.(sink);
    expect(sink.events).toHaveLength(2);
    expect(sink.events[1]?.payload).toEqual([expect.objectContaining({ CceId: 'CIS-debian-9-SSH-5.2.10', Result: 'Fail', Error: 'PermitRootLogin yes', Severity: 'Critical' })]);

    writeFileSync(dropIn, 'PermitRootLogin no\nX11Forwarding no\n');
    await clock.advance(60_000);
    await c.collect?.(sink);
    expect(sink.events[2]?.payload).toEqual([expect.objectContaining({ CceId: 'CIS-debian-9-SSH-5.2.10', Result: 'Pass', Error: '' })]);

    await clock.advance(FULL_REPORT_EVERY_MS);
    await c.collect?.(sink);
    expect(sink.events[3]?.payload).toHaveLength(CHECKS.length);
    expect(c.status?.().detail).toMatch(/^129 checks in \d+ ms: 129 pass, 0 fail, 0 skip, 0 error$/);
    await c.stop();
  });

  it('leaves out the checks and groups the twin disables', async () => {
    const c = createBaselineCollector(collectorOptions({ hostRoot: root('hardened'), settings: { Baseline_ChecksDisabled: '5.2.10,1.1.2', Baseline_GroupsDisabled: 'Cron' } }));
    const sink = recordingSink();
    await c.collect?.(sink);
    const sent = ids(sink.events[0]?.payload ?? []);
    expect(sent).not.toContain('5.2.10');
    expect(sent).not.toContain('1.1.2');
    expect(sent.filter((id) => id.startsWith('5.1.'))).toEqual([]);
    expect(sent).toHaveLength(CHECKS.length - 2 - 7);
  });

  it.skipIf(!HAS_SHARED || !IS_ROOT)(`emits events that validate against the official OSBaseline schema unchanged${HAS_SHARED ? '' : ` (${NO_SHARED_REASON})`}${IS_ROOT ? '' : ` (${NOT_ROOT_REASON})`}`, async () => {
    const c = createBaselineCollector(collectorOptions({ hostRoot: root('exposed') }));
    const sink = recordingSink();
    await c.collect?.(sink);
    expect(officialEventProblems(sink.events)).toEqual([]);
    expectSampleEvent('baseline', { ...sink.events[0]!, payload: sink.events[0]!.payload.slice(0, 3), time: Date.UTC(2026, 0, 1) }, 'exact');
  });

  it('sends a skipped check as Err with a "Skipped:" reason and CheckResult Skip (the official Result has no Skip)', async () => {
    // An empty host root: no sshd, no GRUB, no dpkg, no /proc/sys.
    const empty = root('hardened');
    rmSync(join(empty, 'etc/ssh'), { recursive: true });
    const items = await snapshotBaseline(empty);
    const ssh = items.find((i) => i['CceId'] === 'CIS-debian-9-SSH-5.2.10');
    expect(ssh).toMatchObject({ Result: 'Err', Error: 'Skipped: not applicable: no /etc/ssh/sshd_config (OpenSSH server not configured)' });
    expect((ssh?.['ExtraDetails'] as Record<string, string>)['CheckResult']).toBe('Skip');
    if (HAS_SHARED) expect(officialEventProblems([{ name: 'OSBaseline', category: 'Periodic', eventType: 'Security', time: 0, payload: items }])).toEqual([]);
  });
});

describe('the Baseline collector on this machine', () => {
  it('gives a result for every check, with no Error and a reason for every Skip', async () => {
    const items = await snapshotBaseline('/');
    expect(items).toHaveLength(CHECKS.length);
    const errors = items.filter((i) => (i['ExtraDetails'] as Record<string, string>)['CheckResult'] === 'Error');
    expect(errors.map((e) => `${String(e['CceId'])}: ${String(e['Error'])}`)).toEqual([]);
    for (const i of items) if (i['Result'] !== 'Pass') expect(String(i['Error'])).not.toBe('');
  });
});
