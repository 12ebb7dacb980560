/** The last reported inventory, kept in the collector's state dir so a restart reports only what changed meanwhile. */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PackageManager, PackageRecord } from './package-record.js';

export interface InventoryState {
  readonly digest: string;
  /** When the full inventory was last emitted (ms since the epoch). */
  readonly lastFullAt: number;
  readonly packages: readonly PackageRecord[];
}

const FILE = 'sbom-inventory.json';
const MANAGERS = new Set<string>(['dpkg', 'rpm', 'apk', 'opkg']);
const FIELDS = ['name', 'version', 'architecture', 'vendor', 'source', 'purl'] as const;

function isRecord(value: unknown): value is PackageRecord {
  if (value === null || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return typeof v['manager'] === 'string' && MANAGERS.has(v['manager']) && FIELDS.every((f) => typeof v[f] === 'string');
}

/** Undefined when there is none or it is unreadable (then the full inventory is sent again, which heals it). */
export async function loadInventoryState(dir: string): Promise<InventoryState | undefined> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(join(dir, FILE), 'utf8'));
  } catch {
    return undefined;
  }
  if (parsed === null || typeof parsed !== 'object') return undefined;
  const s = parsed as Record<string, unknown>;
  const packages = s['packages'];
  if (typeof s['digest'] !== 'string' || typeof s['lastFullAt'] !== 'number' || !Array.isArray(packages) || !packages.every(isRecord)) return undefined;
  return { digest: s['digest'], lastFullAt: s['lastFullAt'], packages: packages.map((p: PackageRecord) => ({ ...p, manager: p.manager as PackageManager })) };
}

/** Written beside and renamed over, so a crash leaves the old state or the new one. */
export async function saveInventoryState(dir: string, state: InventoryState): Promise<void> {
  const path = join(dir, FILE);
  const tmp = `${path}.tmp`;
  await writeFile(tmp, JSON.stringify(state), { mode: 0o600 });
  await rename(tmp, path);
}
