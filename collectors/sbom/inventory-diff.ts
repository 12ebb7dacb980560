/** What changed between two inventories, keyed by manager, name and architecture (as Auditbeat diffs). */
import { createHash } from 'node:crypto';
import { packageKey, type PackageRecord } from './package-record.js';

export type ChangeAction = 'Installed' | 'Removed' | 'Updated';

export interface PackageChange {
  readonly action: ChangeAction;
  /** The package as it is now; for Removed, as it was. */
  readonly package: PackageRecord;
  /** Updated only: the version before. */
  readonly previousVersion?: string;
}

export function byKey(packages: readonly PackageRecord[]): Map<string, PackageRecord> {
  return new Map(packages.map((p) => [packageKey(p), p]));
}

/** Removed first, then installed and updated, each in key order, so the output is stable. */
export function diffInventories(before: ReadonlyMap<string, PackageRecord>, after: ReadonlyMap<string, PackageRecord>): PackageChange[] {
  const changes: PackageChange[] = [];
  for (const [key, old] of [...before].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (!after.has(key)) changes.push({ action: 'Removed', package: old });
  }
  for (const [key, now] of [...after].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const old = before.get(key);
    if (old === undefined) changes.push({ action: 'Installed', package: now });
    else if (old.version !== now.version) changes.push({ action: 'Updated', package: now, previousVersion: old.version });
  }
  return changes;
}

/** sha256 of the sorted key and version of every package: equal digests, nothing to report. */
export function inventoryDigest(packages: readonly PackageRecord[]): string {
  const lines = packages.map((p) => `${packageKey(p)}\t${p.version}\n`).sort();
  const hash = createHash('sha256');
  for (const line of lines) hash.update(line);
  return hash.digest('hex');
}
