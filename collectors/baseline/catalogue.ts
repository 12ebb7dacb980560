/** The check catalogue (checks.json): its types, lookup, and the twin filters that select checks from it. */
import catalogueData from './checks.json' with { type: 'json' };

export type Severity = 'Critical' | 'Important' | 'Warning' | 'Informational';
export type MissingResult = 'pass' | 'fail' | 'skip';

/** Numeric bounds on a captured value; both inclusive. */
export interface Bounds { readonly min?: number; readonly max?: number }

export type Rule =
  /** Lines of the files (globs allowed in the last component) matching `pattern`; `group 1` is the compared number when bounds are given. */
  | { readonly kind: 'file-content'; readonly paths: readonly string[]; readonly pattern: string; readonly flags?: string;
      readonly expect: 'present' | 'absent'; readonly bounds?: Bounds; readonly whenMissing?: MissingResult }
  /** Running value under /proc/sys and any persisted value in sysctl.conf / sysctl.d must be one of `expect`. */
  | { readonly kind: 'sysctl'; readonly keys: readonly string[]; readonly expect: readonly string[] }
  /** No mode bits beyond `maxMode`; owner and group by name from the host's passwd/group. */
  | { readonly kind: 'file-mode'; readonly path: string; readonly maxMode: string; readonly owners: readonly string[];
      readonly groups: readonly string[]; readonly whenMissing: MissingResult }
  | { readonly kind: 'file-presence'; readonly path: string; readonly expect: 'present' | 'absent' }
  /** `mountpoint` is a mount of its own; with `option`, mounted with that option. */
  | { readonly kind: 'mount'; readonly mountpoint: string; readonly option?: string }
  /** modprobe.d maps the module to /bin/true or /bin/false, and it is not loaded now. */
  | { readonly kind: 'module-disabled'; readonly module: string }
  /** From the dpkg status file: `installed` passes when any name is installed, `absent` when none is. */
  | { readonly kind: 'package'; readonly names: readonly string[]; readonly expect: 'installed' | 'absent' }
  /** A unit is enabled when systemd's `/etc/systemd/system/*.wants|*.requires` holds a link of that name. */
  | { readonly kind: 'service'; readonly units: readonly string[]; readonly expect: 'enabled' | 'disabled' }
  /** The effective global sshd value (first one wins, Include expanded, Match blocks ignored, OpenSSH default when unset). */
  | { readonly kind: 'sshd-option'; readonly keyword: string; readonly default?: string; readonly pattern?: string;
      readonly bounds?: Bounds; readonly forbidden?: readonly string[] }
  | { readonly kind: 'accounts'; readonly test: AccountTest }
  | { readonly kind: 'all' | 'any'; readonly rules: readonly Rule[] };

export type AccountTest =
  | 'no-empty-passwords' | 'only-root-uid-0' | 'root-gid-0' | 'shadow-group-empty' | 'groups-exist'
  | 'unique-uids' | 'unique-gids' | 'unique-user-names' | 'unique-group-names';

export interface Check {
  /** What Baseline_ChecksDisabled names: the CIS number in `benchmark`'s numbering. */
  readonly id: string;
  readonly benchmark: 'debian-9' | 'debian-12';
  readonly cis: { readonly debian9?: string; readonly debian12?: string };
  readonly group: string;
  readonly title: string;
  readonly severity: Severity;
  readonly remediation: string;
  readonly rule: Rule;
}

export interface CheckGroup { readonly name: string; readonly token: string }

interface CatalogueFile { readonly groups: readonly CheckGroup[]; readonly checks: readonly Check[] }

const catalogue = catalogueData as CatalogueFile;

export const CHECKS: readonly Check[] = catalogue.checks;
export const GROUPS: readonly CheckGroup[] = catalogue.groups;

/** `CIS-debian-9-Filesystem-1.1.2`: the micro agent's check id format. */
export function cceId(check: Check): string {
  const token = GROUPS.find((g) => g.name === check.group)?.token ?? check.group.replace(/\W+/g, '');
  return `CIS-${check.benchmark}-${token}-${check.id}`;
}

/** Comma-separated twin list, trimmed, empties dropped. */
export function splitList(value: unknown): string[] {
  if (typeof value !== 'string') return [];
  return value.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

const norm = (s: string): string => s.replace(/\s+/g, ' ').toLowerCase();

/** Problems of Baseline_ChecksDisabled / Baseline_GroupsDisabled against the catalogue, one line per key. */
export function baselineFilterProblems(desired: Readonly<Record<string, unknown>>): { key: string; reason: string }[] {
  const problems: { key: string; reason: string }[] = [];
  const ids = new Set(CHECKS.map((c) => c.id));
  const unknownIds = splitList(desired['Baseline_ChecksDisabled']).filter((id) => !ids.has(id));
  if (unknownIds.length > 0) {
    problems.push({ key: 'Baseline_ChecksDisabled', reason: `unknown check id ${unknownIds.slice(0, 5).map((s) => JSON.stringify(s.slice(0, 40))).join(', ')}` });
  }
  const groups = new Set(GROUPS.map((g) => norm(g.name)));
  const unknownGroups = splitList(desired['Baseline_GroupsDisabled']).filter((g) => !groups.has(norm(g)));
  if (unknownGroups.length > 0) {
    problems.push({ key: 'Baseline_GroupsDisabled', reason: `unknown group ${unknownGroups.slice(0, 5).map((s) => JSON.stringify(s.slice(0, 40))).join(', ')}; groups are ${GROUPS.map((g) => g.name).join(', ')}` });
  }
  return problems;
}

/** The checks a run evaluates, after the twin's disabled ids and groups (group names match case-insensitively). */
export function selectChecks(settings: Readonly<Record<string, unknown>>, checks: readonly Check[] = CHECKS): Check[] {
  const ids = new Set(splitList(settings['Baseline_ChecksDisabled']));
  const groups = new Set(splitList(settings['Baseline_GroupsDisabled']).map(norm));
  return checks.filter((c) => !ids.has(c.id) && !groups.has(norm(c.group)));
}
