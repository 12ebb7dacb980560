/** One evaluator per rule kind of the catalogue. Each reads files under the host root only: no child processes. */
import type { Bounds, MissingResult, Rule } from './catalogue.js';
import { evaluateAccounts } from './account-tests.js';
import type { HostFacts } from './host-facts.js';
import { escapeRegExp, isDenied, meaningfulLines } from './host-files.js';
import { resolveAlgorithmList, sshdSeconds } from './sshd-config.js';

/** The micro agent's four results (its docs spell them Pass, Fail, Skip, Error). */
export type CheckResult = 'Pass' | 'Fail' | 'Skip' | 'Error';
export interface Outcome { readonly result: CheckResult; readonly detail: string }

const pass = (detail: string): Outcome => ({ result: 'Pass', detail });
const fail = (detail: string): Outcome => ({ result: 'Fail', detail });
const skip = (detail: string): Outcome => ({ result: 'Skip', detail });

function missing(whenMissing: MissingResult | undefined, what: string): Outcome {
  if (whenMissing === 'pass') return pass(`${what} does not exist`);
  if (whenMissing === 'skip') return skip(`not applicable: ${what} does not exist`);
  return fail(`${what} does not exist`);
}

function withinBounds(n: number, b: Bounds): boolean {
  return !Number.isNaN(n) && (b.min === undefined || n >= b.min) && (b.max === undefined || n <= b.max);
}

function boundsText(b: Bounds): string {
  if (b.min !== undefined && b.max !== undefined) return `between ${b.min} and ${b.max}`;
  return b.min !== undefined ? `>= ${b.min}` : `<= ${String(b.max)}`;
}

/** Evaluates one rule; a permission error is a Skip (the agent lacks the privilege), any other error an Error. */
export function evaluate(rule: Rule, facts: HostFacts): Outcome {
  try {
    return evaluateKind(rule, facts);
  } catch (err) {
    const raw = err instanceof Error ? err.message : String(err);
    // Paths in the detail read as on the host, not under the agent's view of it.
    const message = facts.files.root === '/' ? raw : raw.split(facts.files.root).join('');
    if (isDenied(err)) return skip(`insufficient privilege: ${message}`);
    return { result: 'Error', detail: message };
  }
}

function evaluateKind(rule: Rule, facts: HostFacts): Outcome {
  switch (rule.kind) {
    case 'file-content': return fileContent(rule, facts);
    case 'sysctl': return sysctl(rule, facts);
    case 'file-mode': return fileMode(rule, facts);
    case 'file-presence': {
      const there = facts.files.exists(rule.path);
      return (there === (rule.expect === 'present')) ? pass(`${rule.path} ${there ? 'exists' : 'is absent'}`) : fail(`${rule.path} ${there ? 'exists' : 'does not exist'}`);
    }
    case 'mount': {
      const opts = facts.mounts().get(rule.mountpoint);
      if (!opts) return fail(`${rule.mountpoint} is not a separate mount`);
      if (rule.option === undefined) return pass(`${rule.mountpoint} is a separate mount`);
      return opts.includes(rule.option) ? pass(`${rule.mountpoint} is mounted ${rule.option}`) : fail(`${rule.mountpoint} is mounted without ${rule.option}`);
    }
    case 'module-disabled': return moduleDisabled(rule.module, facts);
    case 'package': {
      const installed = facts.installedPackages();
      if (!installed) return skip('not applicable: no dpkg database (/var/lib/dpkg/status)');
      const found = rule.names.filter((n) => installed.has(n));
      if (rule.expect === 'installed') return found.length > 0 ? pass(`${found.join(', ')} installed`) : fail(`none of ${rule.names.join(', ')} is installed`);
      return found.length === 0 ? pass(`${rule.names.join(', ')} not installed`) : fail(`${found.join(', ')} installed`);
    }
    case 'service': {
      const enabled = rule.units.filter((u) => facts.enabledUnits().has(u));
      if (rule.expect === 'enabled') return enabled.length > 0 ? pass(`${enabled.join(', ')} enabled`) : fail(`none of ${rule.units.join(', ')} is enabled`);
      return enabled.length === 0 ? pass(`${rule.units.join(', ')} not enabled`) : fail(`${enabled.join(', ')} enabled`);
    }
    case 'sshd-option': return sshdOption(rule, facts);
    case 'accounts': return evaluateAccounts(rule.test, facts);
    case 'all':
    case 'any': return combine(rule.kind, rule.rules.map((r) => evaluate(r, facts)));
  }
}

/** all: every part passes (a Skip part is left out); any: one part passes. Errors win over failures. */
function combine(kind: 'all' | 'any', parts: Outcome[]): Outcome {
  const by = (r: CheckResult): Outcome[] => parts.filter((p) => p.result === r);
  const text = (list: Outcome[]): string => [...new Set(list.map((p) => p.detail))].join('; ');
  if (kind === 'any' && by('Pass').length > 0) return pass(text(by('Pass')));
  if (by('Error').length > 0) return { result: 'Error', detail: text(by('Error')) };
  if (by('Fail').length > 0) return fail(text(by('Fail')));
  if (by('Pass').length > 0) return pass(text(by('Pass')));
  return skip(text(parts));
}

function fileContent(rule: Extract<Rule, { kind: 'file-content' }>, facts: HostFacts): Outcome {
  const re = new RegExp(rule.pattern, rule.flags ?? '');
  const paths = rule.paths.flatMap((p) => facts.files.expand(p));
  const present: string[] = [];
  const matches: { path: string; line: string; value?: number }[] = [];
  for (const path of paths) {
    const text = facts.files.read(path);
    if (text === undefined) continue;
    present.push(path);
    for (const line of meaningfulLines(text)) {
      const m = re.exec(line);
      if (m) matches.push({ path, line, ...(m[1] !== undefined ? { value: Number(m[1]) } : {}) });
    }
  }
  if (present.length === 0) return missing(rule.whenMissing ?? (rule.expect === 'absent' ? 'pass' : 'fail'), rule.paths.join(', '));
  if (rule.expect === 'absent') {
    const first = matches[0];
    return first ? fail(`${first.path}: "${first.line.slice(0, 80)}"`) : pass(`no line matches in ${present.join(', ')}`);
  }
  if (matches.length === 0) return fail(`no line matching /${rule.pattern}/ in ${present.join(', ')}`);
  const bounds = rule.bounds;
  if (bounds) {
    // The first setting read is the one in force (login.defs, pwquality, profile).
    const first = matches[0];
    if (!first) return fail('no value');
    return withinBounds(first.value ?? NaN, bounds) ? pass(`${first.path}: ${first.line}`) : fail(`${first.path}: "${first.line.slice(0, 80)}" is not ${boundsText(bounds)}`);
  }
  return pass(`${matches[0]?.path ?? ''}: ${matches[0]?.line.slice(0, 80) ?? ''}`);
}

function sysctl(rule: Extract<Rule, { kind: 'sysctl' }>, facts: HostFacts): Outcome {
  const persisted = persistedSysctl(facts);
  const problems: string[] = [];
  const seen: string[] = [];
  for (const key of rule.keys) {
    const value = facts.files.read(`/proc/sys/${key.replace(/\./g, '/')}`)?.trim();
    if (value !== undefined) {
      seen.push(`${key}=${value}`);
      if (!rule.expect.includes(value)) problems.push(`${key} is ${value}`);
    }
    const saved = persisted.get(key);
    if (saved && !rule.expect.includes(saved.value)) problems.push(`${saved.file} sets ${key} = ${saved.value}`);
  }
  if (problems.length > 0) return fail(`${problems.join('; ')} (expected ${rule.expect.join(' or ')})`);
  if (seen.length === 0) return skip(`not applicable: ${rule.keys.join(', ')} not present in this kernel`);
  return pass(seen.join(', '));
}

/** The last value each key gets from sysctl.d (sorted by file name, /etc winning) and then /etc/sysctl.conf. */
function persistedSysctl(facts: HostFacts): ReadonlyMap<string, { value: string; file: string }> {
  return facts.memo('persisted-sysctl', () => readPersistedSysctl(facts));
}

function readPersistedSysctl(facts: HostFacts): Map<string, { value: string; file: string }> {
  const byName = new Map<string, string>();
  for (const dir of ['/usr/lib/sysctl.d', '/lib/sysctl.d', '/run/sysctl.d', '/etc/sysctl.d']) {
    for (const name of facts.files.list(dir)) if (name.endsWith('.conf')) byName.set(name, `${dir}/${name}`);
  }
  const files = [...[...byName.keys()].sort().map((n) => byName.get(n) ?? ''), '/etc/sysctl.conf'];
  const out = new Map<string, { value: string; file: string }>();
  for (const file of files) {
    for (const line of meaningfulLines((facts.files.read(file) ?? '').replace(/^\s*;.*$/gm, ''))) {
      const m = /^-?\s*([\w./-]+)\s*=\s*(.*)$/.exec(line);
      if (m?.[1] && m[2] !== undefined) out.set(m[1].replace(/\//g, '.'), { value: m[2].trim(), file });
    }
  }
  return out;
}

function fileMode(rule: Extract<Rule, { kind: 'file-mode' }>, facts: HostFacts): Outcome {
  const paths = facts.files.expand(rule.path).filter((p) => facts.files.exists(p));
  if (paths.length === 0) return missing(rule.whenMissing, rule.path);
  const allowed = parseInt(rule.maxMode, 8);
  const problems: string[] = [];
  for (const path of paths) {
    const st = facts.files.stat(path);
    if (!st) continue;
    const mode = st.mode & 0o7777;
    const owner = facts.accounts().find((a) => a.uid === st.uid)?.name ?? String(st.uid);
    const group = facts.groups().find((g) => g.gid === st.gid)?.name ?? String(st.gid);
    if ((mode & ~allowed) !== 0) problems.push(`${path} mode ${mode.toString(8).padStart(4, '0')} exceeds ${rule.maxMode}`);
    if (!rule.owners.includes(owner)) problems.push(`${path} owner ${owner} (expected ${rule.owners.join(' or ')})`);
    if (!rule.groups.includes(group)) problems.push(`${path} group ${group} (expected ${rule.groups.join(' or ')})`);
  }
  return problems.length > 0 ? fail(problems.join('; ')) : pass(`${paths.join(', ')}: mode <= ${rule.maxMode}, ${rule.owners[0] ?? ''}:${rule.groups.join('|')}`);
}

function moduleDisabled(module: string, facts: HostFacts): Outcome {
  // modprobe treats - and _ in module names alike.
  const name = escapeRegExp(module).replace(/[-_]/g, '[-_]');
  const install = new RegExp(`^install\\s+${name}\\s+(/usr)?/bin/(true|false)\\b`);
  const mapped = facts.modprobeLines().some((l) => install.test(l));
  const loaded = [...facts.loadedModules()].some((m) => m.replace(/-/g, '_') === module.replace(/-/g, '_'));
  if (loaded) return fail(`${module} is loaded (/proc/modules)`);
  return mapped ? pass(`install ${module} /bin/true (or /bin/false) in modprobe.d; not loaded`) : fail(`no "install ${module} /bin/true" in modprobe.d`);
}

/** OpenSSH 9.x defaults for the algorithm lists the weak-algorithm checks resolve against. */
const SSHD_ALGORITHM_DEFAULTS: Readonly<Record<string, string>> = {
  ciphers: 'chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com',
  macs: 'umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,umac-64@openssh.com,umac-128@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1',
  kexalgorithms: 'sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group14-sha256',
};

function sshdOption(rule: Extract<Rule, { kind: 'sshd-option' }>, facts: HostFacts): Outcome {
  const config = facts.sshd();
  if (!config) return skip('not applicable: no /etc/ssh/sshd_config (OpenSSH server not configured)');
  const key = rule.keyword.toLowerCase();
  const set = config.values.get(key);
  const value = set ?? rule.default;
  const shown = `${rule.keyword} ${value ?? '(unset)'}${set === undefined ? ' (default)' : ''}`;
  if (value === undefined) return fail(`${rule.keyword} is not set`);
  if (rule.forbidden) {
    const defaults = SSHD_ALGORITHM_DEFAULTS[key] ?? '';
    const list = set === undefined ? defaults.split(',') : resolveAlgorithmList(set, defaults);
    const weak = list.filter((a) => rule.forbidden?.includes(a.toLowerCase()));
    return weak.length > 0 ? fail(`${rule.keyword} allows ${weak.join(', ')}${set === undefined ? ' (default)' : ''}`) : pass(shown);
  }
  if (rule.bounds) {
    const n = key === 'logingracetime' ? sshdSeconds(value) : Number(value.split(/[\s:]/)[0]);
    return withinBounds(n, rule.bounds) ? pass(shown) : fail(`${shown} is not ${boundsText(rule.bounds)}`);
  }
  if (rule.pattern !== undefined) return new RegExp(rule.pattern, 'i').test(value) ? pass(shown) : fail(`${shown}`);
  return pass(shown);
}
