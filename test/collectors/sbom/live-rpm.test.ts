import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createSbomCollector, loadSqlite, snapshotPackages } from '../../../collectors/sbom/index.js';
import { collectorOptions, recordingSink } from '../../support/collector-harness.js';
import { FakeClock } from '../../support/fake-clock.js';
import { buildRpm, FIXTURE_RPMS, HAS_RPM_TOOLS, initRpmdb, NO_RPM_REASON, rpmErase, rpmInstall, rpmQueryAll } from './rpmdb-builder.js';

const sqlite = loadSqlite();
const SKIP = !HAS_RPM_TOOLS ? NO_RPM_REASON : !sqlite.ok ? `skipped: ${sqlite.reason}` : '';
const work = mkdtempSync(join(tmpdir(), 'sbom-rpm-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.skipIf(SKIP !== '')(`an rpmdb.sqlite written by rpm itself${SKIP === '' ? '' : ` (${SKIP})`}`, () => {
  it('is read as rpm -qa reads it, then an rpm -i into the live database is reported once as Installed', async () => {
    const root = join(work, 'host');
    const db = join(root, 'var/lib/rpm');
    mkdirSync(db, { recursive: true });
    initRpmdb(db);
    for (const spec of FIXTURE_RPMS) rpmInstall(db, buildRpm(work, spec));
    const inventory = await snapshotPackages(root);
    expect(inventory.problems).toEqual([]);
    expect(inventory.packages.map((p) => `${p.name} ${p.version} ${p.architecture}`).sort()).toEqual(rpmQueryAll(db));

    const clock = new FakeClock();
    const c = createSbomCollector(collectorOptions({ hostRoot: root, clock }));
    const sink = recordingSink();
    await c.start?.(sink);
    expect(sink.events.flatMap((e) => e.payload)).toHaveLength(FIXTURE_RPMS.length);
    sink.events.length = 0;
    // rpm leaves this write in the WAL: the -wal file is what moves.
    rpmInstall(db, buildRpm(work, { name: 'sbom-fixture-late', version: '1.0', release: '1', arch: 'noarch', vendor: 'Late Vendor' }));
    await c.collect?.(sink);
    rpmErase(db, 'sbom-fixture-tzdata');
    await c.collect?.(sink);
    expect(sink.events.flatMap((e) => e.payload).map((p) => `${String(p['Action'])} ${String(p['Name'])} ${String(p['Vendor'])}`)).toEqual([
      'Installed sbom-fixture-late Late Vendor',
      'Removed sbom-fixture-tzdata Fixture Packager <packager@example.org>',
    ]);
    await c.stop();
  });
});
