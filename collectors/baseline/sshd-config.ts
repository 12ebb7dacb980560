/**
 * The global sshd configuration as sshd reads it, without running `sshd -T`: `Include` expanded in place
 * (relative to /etc/ssh, globs in lexical order), the first value of a keyword wins, `Match` blocks ignored.
 */
import type { HostFiles } from './host-files.js';

const MAIN = '/etc/ssh/sshd_config';
const MAX_INCLUDE_DEPTH = 16;

export interface SshdConfig {
  /** Lower-case keyword -> first value (as written). */
  readonly values: ReadonlyMap<string, string>;
  /** Files read, main first. */
  readonly files: readonly string[];
}

/** Undefined when the host has no /etc/ssh/sshd_config (no OpenSSH server). */
export function effectiveSshdConfig(files: HostFiles): SshdConfig | undefined {
  const text = files.read(MAIN);
  if (text === undefined) return undefined;
  const values = new Map<string, string>();
  const read: string[] = [];
  const walk = (path: string, content: string, depth: number): boolean => {
    read.push(path);
    for (const raw of content.split('\n')) {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) continue;
      const m = /^(\S+)(?:\s*=\s*|\s+)(.*)$/.exec(line);
      if (!m) continue;
      const keyword = (m[1] ?? '').toLowerCase();
      const value = (m[2] ?? '').replace(/\s+#.*$/, '').trim();
      // Everything after the first Match applies to some connections only: not the global view.
      if (keyword === 'match') return false;
      if (keyword === 'include') {
        if (depth >= MAX_INCLUDE_DEPTH) continue;
        for (const pattern of value.split(/\s+/)) {
          const abs = pattern.startsWith('/') ? pattern : `/etc/ssh/${pattern}`;
          for (const inc of files.expand(abs)) {
            const incText = files.read(inc);
            if (incText !== undefined && !walk(inc, incText, depth + 1)) return false;
          }
        }
        continue;
      }
      if (!values.has(keyword)) values.set(keyword, value);
    }
    return true;
  };
  walk(MAIN, text, 0);
  return { values, files: read };
}

/** sshd's time format: `90`, `2m`, `1h30m`; NaN when malformed. */
export function sshdSeconds(value: string): number {
  const units: Record<string, number> = { '': 1, s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
  let total = 0;
  const re = /(\d+)([smhdw]?)/giy;
  let matched = 0;
  for (let m = re.exec(value); m; m = re.exec(value)) {
    total += Number(m[1]) * (units[(m[2] ?? '').toLowerCase()] ?? NaN);
    matched = re.lastIndex;
  }
  return matched === value.length && value !== '' ? total : NaN;
}

/** An algorithm list as sshd resolves it: `+x` appends to, `-x` removes from, `^x` prepends to the default. */
export function resolveAlgorithmList(value: string, defaults: string): string[] {
  const base = defaults.split(',').filter(Boolean);
  const items = value.slice(/^[+\-^]/.test(value) ? 1 : 0).split(',').filter(Boolean);
  if (value.startsWith('+')) return [...base, ...items];
  if (value.startsWith('^')) return [...items, ...base];
  if (value.startsWith('-')) {
    const drop = items.map((p) => new RegExp(`^${p.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`));
    return base.filter((b) => !drop.some((re) => re.test(b)));
  }
  return items;
}
