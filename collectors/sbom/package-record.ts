/** One installed package, whatever database it came from; what every SBoM output is built from. */

export type PackageManager = 'dpkg' | 'rpm' | 'apk' | 'opkg';

export interface PackageRecord {
  readonly manager: PackageManager;
  readonly name: string;
  /** As the database writes it: dpkg `[epoch:]upstream[-revision]`, rpm `[epoch:]version-release`. */
  readonly version: string;
  readonly architecture: string;
  /** The maintainer (dpkg, apk, opkg) or the vendor (rpm); empty when the database has none. */
  readonly vendor: string;
  /** Source package name; the package's own name when the database names no other. */
  readonly source: string;
  readonly purl: string;
}

/** Identity of a package across reads: a version change keeps the key, a new architecture is another package. */
export function packageKey(p: Pick<PackageRecord, 'manager' | 'name' | 'architecture'>): string {
  return `${p.manager}:${p.name}:${p.architecture}`;
}

/** Longest field kept: a corrupt database must not make one package larger than a message. */
export const MAX_FIELD_CHARS = 512;

/** Also a copy: a slice of the database's text would keep all of it (1.5 MB for Debian's status file) alive. */
export function clip(value: string): string {
  return Buffer.from(value.length > MAX_FIELD_CHARS ? value.slice(0, MAX_FIELD_CHARS) : value, 'utf8').toString('utf8');
}

/** Sorted by key, so every output and digest is the same for the same database. */
export function sortPackages(list: PackageRecord[]): PackageRecord[] {
  return list.sort((a, b) => {
    const ka = packageKey(a);
    const kb = packageKey(b);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
}
