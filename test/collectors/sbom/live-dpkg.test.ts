import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { snapshotPackages } from '../../../collectors/sbom/index.js';
import type { SecurityMessage } from '../../../src/events/envelope.js';
import { messageValidator } from '../../../src/events/message-schema.js';
import { FAST_TWIN, startRig, type Rig } from '../../support/agent-harness.js';

const has = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
const HAS_DPKG = has('dpkg-query') && has('dpkg-deb');
const IS_ROOT = process.getuid?.() === 0;
const LIVE_SKIP = !HAS_DPKG ? 'skipped: dpkg is not on this machine' : !IS_ROOT ? 'skipped: installing a package needs root (CI runs as root)' : '';
const INSTALLED_STATES = new Set(['installed', 'triggers-pending', 'triggers-awaited', 'half-configured']);

/** dpkg-query's own view: name, version, architecture of every package in an installed state, sorted. */
function dpkgQuery(): string[] {
  const r = spawnSync('dpkg-query', ['-W', '-f', '${db:Status-Status} ${Package} ${Version} ${Architecture}\\n'], { encoding: 'utf8' });
  return r.stdout.split('\n').filter((l) => l !== '').map((l) => l.split(' ')).filter(([s]) => INSTALLED_STATES.has(s ?? '')).map((f) => f.slice(1).join(' ')).sort();
}

async function ours(): Promise<string[]> {
  return (await snapshotPackages('/')).packages.filter((p) => p.manager === 'dpkg').map((p) => `${p.name} ${p.version} ${p.architecture}`).sort();
}

/** dpkg refuses at once while another dpkg/apt holds its lock; wait for the lock, not for a time. */
async function dpkg(args: string[]): Promise<void> {
  for (let i = 0; ; i++) {
    const r = spawnSync('dpkg', args, { encoding: 'utf8' });
    if (r.status === 0) return;
    if (!/lock/i.test(r.stderr) || i > 300) throw new Error(`dpkg ${args.join(' ')} failed: ${r.stderr.trim()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function waitFor(what: string, test: () => boolean, ms = 30_000): Promise<void> {
  for (const end = Date.now() + ms; !test(); ) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const PACKAGE = `iot-micro-agent-sbom-probe-${process.pid}`;
const work = mkdtempSync(join(tmpdir(), 'sbom-live-'));
afterAll(() => {
  if (LIVE_SKIP === '') spawnSync('dpkg', ['--purge', PACKAGE], { stdio: 'ignore' });
  rmSync(work, { recursive: true, force: true });
});

describe.skipIf(!HAS_DPKG)(`the SBoM collector on this machine's dpkg${HAS_DPKG ? '' : ' (skipped: dpkg is not on this machine)'}`, () => {
  it('reads the real /var/lib/dpkg/status exactly as dpkg-query -W lists the installed packages', async () => {
    // Another apt run may change the database between two reads: compare only when dpkg-query agrees with itself.
    for (let attempt = 0; ; attempt++) {
      const before = dpkgQuery();
      const mine = await ours();
      if (before.join('\n') === dpkgQuery().join('\n') || attempt >= 5) {
        expect(before.length).toBeGreaterThan(0);
        expect(mine).toEqual(before);
        return;
      }
    }
  });
});

describe.skipIf(LIVE_SKIP !== '')(`installing and removing a Debian package during a live run${LIVE_SKIP === '' ? '' : ` (${LIVE_SKIP})`}`, () => {
  it('reaches the simulated hub as exactly one Installed and one Removed event', async () => {
    const root = join(work, 'pkg');
    mkdirSync(join(root, 'DEBIAN'), { recursive: true });
    writeFileSync(join(root, 'DEBIAN/control'), `Package: ${PACKAGE}\nVersion: 1.0-1\nArchitecture: all\nMaintainer: iot-micro-agent tests <tests@example.invalid>\nDescription: empty package made by the SBoM live test\n`);
    const deb = join(work, `${PACKAGE}.deb`);
    expect(spawnSync('dpkg-deb', ['--root-owner-group', '--build', root, deb], { stdio: 'ignore' }).status).toBe(0);

    const rig: Rig = await startRig({
      twinDefaults: { ...FAST_TWIN, SBoM_Disabled: false, SBoM_MessageFrequency: 'High', SystemInformation_Disabled: true, Statistics_Disabled: true },
    });
    type Item = { Name: string; Action: string; Version: string; ExtraDetails?: Record<string, string> };
    const items = (): Item[] => rig.hub.messages().flatMap((m) => (JSON.parse(m.body.toString('utf8')) as SecurityMessage).Events)
      .filter((e) => e.Name === 'SBoM').flatMap((e) => e.Payload as unknown as Item[]);
    const ofProbe = (action: string): Item[] => items().filter((i) => i.Name === PACKAGE && i.Action === action);
    const heartbeats = (): number => rig.hub.messages().filter((m) => m.body.includes('"Heartbeat"')).length;

    // The full inventory first, every part of it.
    await waitFor('the full inventory', () => {
      const inventory = items().filter((i) => i.Action === 'Inventory');
      const total = Number(inventory[0]?.ExtraDetails?.['Packages'] ?? -1);
      return inventory.length === total;
    });
    await dpkg(['-i', deb]);
    await waitFor('the Installed event', () => ofProbe('Installed').length > 0);
    await dpkg(['-r', PACKAGE]);
    await waitFor('the Removed event', () => ofProbe('Removed').length > 0);
    // A few more send intervals, so a duplicate would have had time to arrive.
    const seen = heartbeats();
    await waitFor('three more heartbeats', () => heartbeats() >= seen + 3);

    expect(ofProbe('Installed')).toEqual([expect.objectContaining({ Version: '1.0-1', Purl: expect.stringMatching(new RegExp(`^pkg:deb/\\w+/${PACKAGE}@1.0-1\\?arch=all`)) })]);
    expect(ofProbe('Removed')).toEqual([expect.objectContaining({ Version: '1.0-1' })]);
    expect(items().filter((i) => i.Name === PACKAGE)).toHaveLength(2);
    const validator = messageValidator();
    for (const m of rig.hub.messages()) {
      expect(m.size).toBeLessThanOrEqual(256 * 1024);
      expect(validator.validate(JSON.parse(m.body.toString('utf8')))).toEqual([]);
    }
  }, 90_000);
});
