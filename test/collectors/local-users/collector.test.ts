import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FULL_REPORT_EVERY_MS, createLocalUsersCollector, readLocalUsers } from '../../../collectors/local-users/index.js';
import { toPayloadItem } from '../../../collectors/local-users/parse.js';
import { collectorOptions, recordingSink } from '../../support/collector-harness.js';
import { expectSampleEvent } from '../../support/golden.js';
import { FakeClock } from '../../support/fake-clock.js';
import { officialEventProblems } from '../../support/official-conformance.js';
import { HAS_SHARED } from '../../support/shared-reference.js';

const FIXTURE = resolve(import.meta.dirname, '../../fixtures/local-users');
const made: string[] = [];
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});
function copy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'local-users-'));
  made.push(dir);
  cpSync(FIXTURE, dir, { recursive: true });
  return dir;
}

describe('the LocalUsers collector', () => {
  it('lists users with primary then supplementary groups and marks login-capable and UID-0 users', async () => {
    const users = await readLocalUsers(FIXTURE);
    expect(users.map((u) => toPayloadItem(u))).toEqual([
      { UserName: 'root', UserId: '0', GroupIds: '0', GroupNames: 'root', ExtraDetails: { LoginCapable: 'true', Uid0: 'true', Shell: '/bin/bash', HomeDirectory: '/root' } },
      { UserName: 'daemon', UserId: '1', GroupIds: '1', GroupNames: 'daemon', ExtraDetails: { LoginCapable: 'false', Uid0: 'false', Shell: '/usr/sbin/nologin', HomeDirectory: '/usr/sbin' } },
      { UserName: 'toor', UserId: '0', GroupIds: '0', GroupNames: 'root', ExtraDetails: { LoginCapable: 'true', Uid0: 'true', Shell: '/bin/sh', HomeDirectory: '/root' } },
      { UserName: 'operator', UserId: '1000', GroupIds: '1000;27;20', GroupNames: 'operator;sudo;dialout', ExtraDetails: { LoginCapable: 'true', Uid0: 'false', Shell: '/bin/bash', HomeDirectory: '/home/operator' } },
      { UserName: 'svc', UserId: '998', GroupIds: '998;20', GroupNames: 'svc;dialout', ExtraDetails: { LoginCapable: 'false', Uid0: 'false', Shell: '/bin/false', HomeDirectory: '/var/lib/svc' } },
    ]);
  });

  it('sends every user first, then only added, modified and removed users, nothing when unchanged, and all again a day later', async () => {
    const root = copy();
    const clock = new FakeClock();
    const c = createLocalUsersCollector(collectorOptions({ hostRoot: root, clock }));
    const sink = recordingSink();
    await c.collect?.(sink);
    expect(sink.events[0]?.payload).toHaveLength(5);
    await c.collect?.(sink);
    expect(sink.events).toHaveLength(1);
    appendFileSync(join(root, 'etc/passwd'), 'kiosk:x:1001:1001::/home/kiosk:/bin/bash\n');
    writeFileSync(join(root, 'etc/group'), 'root:x:0:\ndaemon:x:1:\nsudo:x:27:operator,kiosk\ndialout:x:20:operator\noperator:x:1000:\nsvc:x:998:\nkiosk:x:1001:\n');
    await clock.advance(1000);
    await c.collect?.(sink);
    const changes = sink.events[1]?.payload.map((p) => [p['UserName'], (p['ExtraDetails'] as Record<string, string>)['Change'], p['GroupNames']]);
    expect(changes).toEqual([['svc', 'Modified', 'svc'], ['kiosk', 'Added', 'kiosk;sudo']]);
    writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/bash\n');
    await c.collect?.(sink);
    expect(sink.events[2]?.payload.map((p) => [p['UserName'], (p['ExtraDetails'] as Record<string, string>)['Change']])).toEqual([
      ['daemon', 'Removed'], ['toor', 'Removed'], ['operator', 'Removed'], ['svc', 'Removed'], ['kiosk', 'Removed'],
    ]);
    await clock.advance(FULL_REPORT_EVERY_MS);
    await c.collect?.(sink);
    expect(sink.events[3]?.payload).toEqual([expect.objectContaining({ UserName: 'root' })]);
    expect((sink.events[3]?.payload[0]?.['ExtraDetails'] as Record<string, string>)['Change']).toBeUndefined();
    if (HAS_SHARED) expect(officialEventProblems(sink.events)).toEqual([]);
    expectSampleEvent('local-users', { ...sink.events[1]!, time: Date.UTC(2026, 0, 1) }, 'exact');
  });

  it('reports an unreadable passwd as a collector error without emitting', async () => {
    const root = copy();
    rmSync(join(root, 'etc/passwd'));
    // A directory where the file should be: EISDIR, an error that is not "no such file".
    mkdirSync(join(root, 'etc/passwd'));
    const c = createLocalUsersCollector(collectorOptions({ hostRoot: root }));
    const sink = recordingSink();
    await c.collect?.(sink);
    expect(sink.events).toEqual([]);
    expect(sink.errors[0]).toMatch(/^cannot read users: /);
    expect(c.status?.().state).toBe('degraded');
  });
});
