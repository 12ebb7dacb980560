/** SBoM: the installed packages (dpkg, rpm sqlite, apk, opkg), in full at start and daily, then only what changed. */
import type { Cancel } from '../../src/clock.js';
import type { Collector, CollectorFactory, CollectorOptions, CollectorStatus, EventSink } from '../types.js';
import { byKey, diffInventories, inventoryDigest } from './inventory-diff.js';
import { loadInventoryState, saveInventoryState, type InventoryState } from './inventory-state.js';
import { databaseIdentity, findDatabases, readInventory, type DatabaseLocation, type Inventory } from './package-databases.js';
import { sortPackages } from './package-record.js';
import { loadSqlite, type SqliteLoad } from './rpm-database.js';
import { changeEvents, inventoryEvents } from './sbom-events.js';

export { findDatabases, readInventory } from './package-databases.js';
export { loadSqlite } from './rpm-database.js';
export { payloadItem } from './sbom-events.js';

export const DEFAULT_FULL_INVENTORY_HOURS = 24;
/** Between two sends the databases are stat'ed this often, so a package installed and removed within one send interval is still seen. */
export const CHECK_INTERVAL_MS = 60_000;

export interface SbomDependencies {
  /** How better-sqlite3 is loaded (tests pass an absent one). */
  readonly sqlite?: () => SqliteLoad;
  readonly checkIntervalMs?: number;
}

/** Loads once, on first need: a device without rpm never loads the native module. */
function once<T>(fn: () => T): () => T {
  let value: { v: T } | undefined;
  return () => (value ??= { v: fn() }).v;
}

/** The whole inventory under `hostRoot` now, and why any database could not be read. */
export async function snapshotPackages(hostRoot: string, sqlite: () => SqliteLoad = loadSqlite): Promise<Inventory> {
  return readInventory(hostRoot, await findDatabases(hostRoot), once(sqlite));
}

export function createSbomCollectorWith(options: CollectorOptions, deps: SbomDependencies = {}): Collector {
  const { hostRoot, stateDir, clock, settings } = options;
  const hours = settings['SBoM_FullInventoryInterval'];
  const fullEveryMs = (typeof hours === 'number' && hours > 0 ? hours : DEFAULT_FULL_INVENTORY_HOURS) * 3_600_000;
  const sqlite = once(deps.sqlite ?? loadSqlite);
  let locations: DatabaseLocation[] | undefined;
  let identity: string | undefined;
  let state: InventoryState | undefined;
  let loaded = false;
  let stopped = false;
  let inFlight: Promise<void> | undefined;
  let again = false;
  let cancelTimer: Cancel | undefined;
  let health: CollectorStatus = { state: 'running' };

  async function check(out: EventSink): Promise<void> {
    if (!loaded) {
      state = await loadInventoryState(stateDir);
      loaded = true;
    }
    const now = clock.now();
    const fullDue = state === undefined || now - state.lastFullAt >= fullEveryMs;
    locations ??= await findDatabases(hostRoot);
    let id = await databaseIdentity(locations);
    if (id === identity && !fullDue) return;
    // Something moved (or a day passed): look again for databases that appeared or went away.
    locations = await findDatabases(hostRoot);
    id = await databaseIdentity(locations);
    const inventory = await readInventory(hostRoot, locations, sqlite);
    for (const problem of inventory.problems) out.error(problem);
    if (inventory.skipped > 0) out.error(`${inventory.skipped} unreadable package records skipped`);
    health = statusOf(inventory, locations.length, hostRoot);
    if (stopped) return;
    identity = id;
    // A database that failed to read has not lost its packages: they stay as last reported until it reads again.
    const kept = (state?.packages ?? []).filter((p) => inventory.failed.has(p.manager));
    const packages = kept.length === 0 ? inventory.packages : sortPackages([...inventory.packages, ...kept]);
    const digest = inventoryDigest(packages);
    if (fullDue) {
      for (const e of inventoryEvents(packages, digest, now)) out.emit(e);
      state = { digest, lastFullAt: now, packages };
    } else if (state !== undefined && digest !== state.digest) {
      for (const e of changeEvents(diffInventories(byKey(state.packages), byKey(packages)), now)) out.emit(e);
      state = { digest, lastFullAt: state.lastFullAt, packages };
    } else {
      return;
    }
    await saveInventoryState(stateDir, state).catch((err: unknown) => out.error(`could not save the inventory state: ${err instanceof Error ? err.message : String(err)}`));
  }

  /** One check at a time; a request that arrives during a check runs once more after it, so no tick is lost. */
  function run(out: EventSink): Promise<void> {
    if (inFlight !== undefined) {
      again = true;
      return inFlight;
    }
    inFlight = (async () => {
      do {
        again = false;
        await check(out).catch((err: unknown) => out.error(`package inventory failed: ${err instanceof Error ? err.message : String(err)}`));
      } while (again && !stopped);
    })().finally(() => (inFlight = undefined));
    return inFlight;
  }

  return {
    name: 'SBoM',
    async start(out) {
      if (stopped) return;
      await run(out);
      if (!stopped) cancelTimer = clock.setInterval(() => void run(out), deps.checkIntervalMs ?? CHECK_INTERVAL_MS);
    },
    async collect(out) {
      if (!stopped) await run(out);
    },
    async stop() {
      stopped = true;
      cancelTimer?.();
      cancelTimer = undefined;
      await inFlight;
    },
    status: () => (stopped ? { state: 'stopped' } : health),
  };
}

function statusOf(inventory: Inventory, databases: number, hostRoot: string): CollectorStatus {
  if (databases === 0) return { state: 'degraded', detail: `no package database found under ${hostRoot} (dpkg, rpm, apk, opkg)` };
  const parts = [...inventory.problems];
  if (inventory.skipped > 0) parts.push(`${inventory.skipped} unreadable package records skipped`);
  if (parts.length === 0) return { state: 'running', detail: `${inventory.packages.length} packages` };
  return { state: 'degraded', detail: parts.join('; ').slice(0, 300) };
}

export const createSbomCollector: CollectorFactory = (options) => createSbomCollectorWith(options);
