import { copyFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CHECK_INTERVAL_MS, createSbomCollector, loadSqlite } from '../../../collectors/sbom/index.js';
import type { CollectedEvent } from '../../../src/events/event.js';
import { buildMessage, toWireEvent } from '../../../src/events/envelope.js';
import { messageValidator } from '../../../src/events/message-schema.js';
import { collectorOptions, recordingSink } from '../../support/collector-harness.js';
import { expectSampleEvent } from '../../support/golden.js';
import { FakeClock } from '../../support/fake-clock.js';

const ours = messageValidator();
const FIXTURE_ROOT = join(import.meta.dirname, '../../fixtures/sbom/dpkg/root');
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}

type Pkgs = Record<string, string>;

/** Writes `status` the way dpkg does: a new file renamed over the old one. */
function writeStatus(root: string, pkgs: Pkgs): string {
  const dir = join(root, 'var/lib/dpkg');
  mkdirSync(dir, { recursive: true });
  const text = Object.entries(pkgs).map(([name, version]) => `Package: ${name}\nStatus: install ok installed\nMaintainer: M <m@example.org>\nArchitecture: amd64\nVersion: ${version}\n`).join('\n');
  writeFileSync(join(dir, 'status-new'), text);
  renameSync(join(dir, 'status-new'), join(dir, 'status'));
  return join(dir, 'status');
}

const view = (events: CollectedEvent[]): string[][] =>
  events.map((e) => e.payload.map((p) => `${e.category} ${String(p['Action'])} ${String(p['Name'])} ${String(p['Version'])}${p['PreviousVersion'] === undefined ? '' : ` from ${String(p['PreviousVersion'])}`}`));

function valid(events: CollectedEvent[]): void {
  if (events.length > 0) expect(ours.validate(buildMessage({ agentId: '9c647395-b913-4997-a732-a7fe7303b649', agentVersion: '0.1.0' }, events.map((e) => toWireEvent(e))))).toEqual([]);
}

async function started(root: string, stateDir: string, clock: FakeClock, settings: Record<string, number> = {}): Promise<{ c: ReturnType<typeof createSbomCollector>; sink: ReturnType<typeof recordingSink> }> {
  const c = createSbomCollector(collectorOptions({ hostRoot: root, stateDir, clock, settings }));
  const sink = recordingSink();
  await c.start?.(sink);
  return { c, sink };
}

describe('SBoM collector', () => {
  it('sends the full inventory at start, then nothing while the database is untouched', async () => {
    const root = tempDir('sbom-host-');
    writeStatus(root, { curl: '7.88.1-10', zlib1g: '1:1.2.13' });
    const clock = new FakeClock();
    const { c, sink } = await started(root, tempDir('sbom-state-'), clock);
    expect(view(sink.events)).toEqual([['Periodic Inventory curl 7.88.1-10', 'Periodic Inventory zlib1g 1:1.2.13']]);
    valid(sink.events);
    sink.events.length = 0;
    await clock.advance(5 * CHECK_INTERVAL_MS);
    await c.collect?.(sink);
    expect(sink.events).toEqual([]);
    expect(c.status?.()).toEqual({ state: 'running', detail: '2 packages' });
    await c.stop();
  });

  it('reports an install, an upgrade and a removal once each, with the old version of the upgrade', async () => {
    const root = tempDir('sbom-host-');
    writeStatus(root, { curl: '7.88.1-10', openssl: '3.0.11-1', vim: '2:9.0.1378-2' });
    const clock = new FakeClock();
    const { c, sink } = await started(root, tempDir('sbom-state-'), clock);
    sink.events.length = 0;
    writeStatus(root, { curl: '7.88.1-10', openssl: '3.0.13-1', htop: '3.2.2-2' });
    await clock.advance(CHECK_INTERVAL_MS);
    await c.collect?.(sink);
    await clock.advance(CHECK_INTERVAL_MS);
    expect(view(sink.events)).toEqual([[
      'Triggered Removed vim 2:9.0.1378-2', 'Triggered Installed htop 3.2.2-2', 'Triggered Updated openssl 3.0.13-1 from 3.0.11-1',
    ]]);
    valid(sink.events);
    await c.stop();
  });

  it('does not read the database again while its device, inode, size and mtime are unchanged', async () => {
    const root = tempDir('sbom-host-');
    const status = writeStatus(root, { curl: '7.88.1-10' });
    utimesSync(status, 1_700_000_000, 1_700_000_000);
    const clock = new FakeClock();
    const { c, sink } = await started(root, tempDir('sbom-state-'), clock);
    sink.events.length = 0;
    // Same inode, same size, same mtime, other content: only a re-parse could see it, and none happens.
    writeFileSync(status, 'Package: curl\nStatus: install ok installed\nMaintainer: M <m@example.org>\nArchitecture: amd64\nVersion: 7.88.1-11\n');
    utimesSync(status, 1_700_000_000, 1_700_000_000);
    await clock.advance(CHECK_INTERVAL_MS);
    await c.collect?.(sink);
    expect(sink.events).toEqual([]);
    utimesSync(status, 1_700_000_001, 1_700_000_001);
    await c.collect?.(sink);
    expect(view(sink.events)).toEqual([['Triggered Updated curl 7.88.1-11 from 7.88.1-10']]);
    await c.stop();
  });

  it('sends nothing after a restart when nothing changed, and only the difference when something did', async () => {
    const root = tempDir('sbom-host-');
    const state = tempDir('sbom-state-');
    writeStatus(root, { curl: '7.88.1-10', openssl: '3.0.11-1' });
    const clock = new FakeClock();
    const first = await started(root, state, clock);
    expect(first.sink.events).toHaveLength(1);
    await first.c.stop();
    const second = await started(root, state, clock);
    expect(second.sink.events).toEqual([]);
    await second.c.stop();
    writeStatus(root, { curl: '7.88.1-10' });
    const third = await started(root, state, clock);
    expect(view(third.sink.events)).toEqual([['Triggered Removed openssl 3.0.11-1']]);
    await third.c.stop();
  });

  it('sends the full inventory again after SBoM_FullInventoryInterval hours, so the cloud side heals', async () => {
    const root = tempDir('sbom-host-');
    writeStatus(root, { curl: '7.88.1-10' });
    const clock = new FakeClock();
    const { c, sink } = await started(root, tempDir('sbom-state-'), clock, { SBoM_FullInventoryInterval: 2 });
    sink.events.length = 0;
    await clock.advance(2 * 3_600_000 - CHECK_INTERVAL_MS);
    expect(sink.events).toEqual([]);
    await clock.advance(CHECK_INTERVAL_MS);
    // The timer's check reads real files: wait for it to land.
    await vi.waitFor(() => expect(sink.events).not.toEqual([]));
    expect(view(sink.events)).toEqual([['Periodic Inventory curl 7.88.1-10']]);
    await c.stop();
  });

  it('sends the full inventory again when its saved state is corrupt', async () => {
    const root = tempDir('sbom-host-');
    const state = tempDir('sbom-state-');
    writeStatus(root, { curl: '7.88.1-10' });
    writeFileSync(join(state, 'sbom-inventory.json'), '{"digest": 42, "packages": [');
    const { c, sink } = await started(root, state, new FakeClock());
    expect(view(sink.events)).toEqual([['Periodic Inventory curl 7.88.1-10']]);
    await c.stop();
  });

  const sqlite = loadSqlite();
  it.skipIf(!sqlite.ok)(`keeps the packages of a database that stopped reading, and still reports the other databases' changes${sqlite.ok ? '' : ` (skipped: ${sqlite.reason})`}`, async () => {
    const root = tempDir('sbom-host-');
    writeStatus(root, { curl: '7.88.1-10' });
    const rpmdb = join(root, 'var/lib/rpm/rpmdb.sqlite');
    mkdirSync(join(root, 'var/lib/rpm'));
    copyFileSync(join(import.meta.dirname, '../../fixtures/sbom/rpm-sqlite/root/var/lib/rpm/rpmdb.sqlite'), rpmdb);
    const clock = new FakeClock();
    const { c, sink } = await started(root, tempDir('sbom-state-'), clock);
    expect(sink.events.flatMap((e) => e.payload)).toHaveLength(4);
    sink.events.length = 0;
    // The rpm database turns into something that is not SQLite: its packages are unknown now, not removed.
    writeFileSync(rpmdb, 'not sqlite at all, '.repeat(100));
    writeStatus(root, { curl: '7.88.1-11' });
    await c.collect?.(sink);
    expect(view(sink.events)).toEqual([['Triggered Updated curl 7.88.1-11 from 7.88.1-10']]);
    expect(c.status?.()).toMatchObject({ state: 'degraded', detail: expect.stringContaining('rpmdb.sqlite') });
    await c.stop();
  });

  it('emits nothing after stop, and stops twice without harm', async () => {
    const root = tempDir('sbom-host-');
    writeStatus(root, { curl: '7.88.1-10' });
    const clock = new FakeClock();
    const { c, sink } = await started(root, tempDir('sbom-state-'), clock);
    await c.stop();
    await c.stop();
    sink.events.length = 0;
    writeStatus(root, { curl: '7.88.1-11' });
    await clock.advance(3 * CHECK_INTERVAL_MS);
    await c.collect?.(sink);
    expect(sink.events).toEqual([]);
    expect(clock.pending()).toBe(0);
  });

  it('says how many records it skipped in its status, and its event is the README sample', async () => {
    const clock = new FakeClock(Date.UTC(2026, 0, 1, 12));
    const { c, sink } = await started(FIXTURE_ROOT, tempDir('sbom-state-'), clock);
    expect(c.status?.()).toEqual({ state: 'degraded', detail: '2 unreadable package records skipped' });
    expect(sink.errors).toContain('2 unreadable package records skipped');
    expect(sink.events).toHaveLength(1);
    valid(sink.events);
    expectSampleEvent('sbom', sink.events[0]!, 'exact');
    await c.stop();
  });

  it('reports a host root without package databases as degraded, and sends nothing', async () => {
    const { c, sink } = await started(tempDir('sbom-empty-'), tempDir('sbom-state-'), new FakeClock());
    expect(sink.events).toEqual([]);
    expect(c.status?.().state).toBe('degraded');
    expect(c.status?.().detail).toMatch(/^no package database found under /);
    await c.stop();
  });
});
