/** Host facts several rules share, parsed once per run: packages, mounts, accounts, enabled units, modprobe.d. */
import { HostFiles, meaningfulLines } from './host-files.js';
import { effectiveSshdConfig, type SshdConfig } from './sshd-config.js';

export interface Account { name: string; password: string; uid: number; gid: number }
export interface GroupEntry { name: string; password: string; gid: number; members: string[] }

/** dpkg's status file on a full desktop is a few MB; bounded all the same. */
const MAX_DPKG_STATUS_BYTES = 64 * 1024 * 1024;
const MODPROBE_DIRS = ['/etc/modprobe.d', '/lib/modprobe.d', '/usr/lib/modprobe.d', '/run/modprobe.d'];

export class HostFacts {
  private readonly values = new Map<string, unknown>();

  constructor(readonly files: HostFiles) {}

  /** A value computed once per run, for rule kinds with facts of their own. */
  memo<T>(key: string, make: () => T): T {
    return this.once(key, make);
  }

  private once<T>(key: string, make: () => T): T {
    if (!this.values.has(key)) this.values.set(key, make());
    return this.values.get(key) as T;
  }

  /** Installed package names from dpkg's status file; undefined when the host has no dpkg database. */
  installedPackages(): ReadonlySet<string> | undefined {
    return this.once('dpkg', () => {
      const text = this.files.read('/var/lib/dpkg/status', MAX_DPKG_STATUS_BYTES);
      if (text === undefined) return undefined;
      const installed = new Set<string>();
      let name = '';
      // A line scan: a desktop's status file is several MB, and splitting it into stanzas costs more.
      for (const line of text.split('\n')) {
        if (line.startsWith('Package: ')) name = line.slice(9).trim();
        else if (line.startsWith('Status: ') && name !== '' && / installed\s*$/.test(line) && !line.includes('not-installed')) installed.add(name);
        else if (line === '') name = '';
      }
      return installed;
    });
  }

  /** Mount point -> options, from the mount table the host root exposes. */
  mounts(): ReadonlyMap<string, readonly string[]> {
    return this.once('mounts', () => {
      const text = this.mountTable() ?? '';
      const out = new Map<string, string[]>();
      for (const line of text.split('\n')) {
        const f = line.split(' ');
        if (f.length < 4 || f[1] === undefined || f[3] === undefined) continue;
        // Later mounts over the same point hide earlier ones.
        out.set(unescapeMount(f[1]), f[3].split(','));
      }
      return out;
    });
  }

  /**
   * From a container (host root elsewhere) the reader's own mounts are the container's: pid 1's are the
   * host's when the host's /proc is mounted (PidMode host); otherwise, or when unreadable, the reader's.
   */
  private mountTable(): string | undefined {
    if (this.files.root !== '/' && this.files.root !== '') {
      try {
        const host = this.files.read('/proc/1/mounts');
        if (host !== undefined) return host;
      } catch {
        // pid 1 hidden (hidepid) or not ours to read
      }
    }
    return this.files.read('/proc/self/mounts');
  }

  accounts(): Account[] {
    return this.once('passwd', () => parseColonFile(this.files.read('/etc/passwd') ?? '').map((f) => ({
      name: f[0] ?? '', password: f[1] ?? '', uid: Number(f[2]), gid: Number(f[3]),
    })));
  }

  groups(): GroupEntry[] {
    return this.once('group', () => parseColonFile(this.files.read('/etc/group') ?? '').map((f) => ({
      name: f[0] ?? '', password: f[1] ?? '', gid: Number(f[2]), members: (f[3] ?? '').split(',').filter((m) => m !== ''),
    })));
  }

  /** Units with a link in any `/etc/systemd/system/*.wants` or `*.requires` directory. */
  enabledUnits(): ReadonlySet<string> {
    return this.once('units', () => {
      const units = new Set<string>();
      for (const dir of this.files.list('/etc/systemd/system')) {
        if (!dir.endsWith('.wants') && !dir.endsWith('.requires')) continue;
        for (const unit of this.files.list(`/etc/systemd/system/${dir}`)) units.add(unit);
      }
      return units;
    });
  }

  /** modprobe.d lines in the order modprobe reads them; a file in /etc overrides one of the same name elsewhere. */
  modprobeLines(): string[] {
    return this.once('modprobe', () => {
      const byName = new Map<string, string>();
      for (const dir of [...MODPROBE_DIRS].reverse()) {
        for (const name of this.files.list(dir)) if (name.endsWith('.conf')) byName.set(name, `${dir}/${name}`);
      }
      const lines: string[] = [];
      for (const name of [...byName.keys()].sort()) lines.push(...meaningfulLines(this.files.read(byName.get(name) ?? '') ?? ''));
      return lines;
    });
  }

  loadedModules(): ReadonlySet<string> {
    return this.once('modules', () => new Set((this.files.read('/proc/modules') ?? '').split('\n').map((l) => l.split(' ')[0] ?? '').filter((m) => m !== '')));
  }

  sshd(): SshdConfig | undefined {
    return this.once('sshd', () => effectiveSshdConfig(this.files));
  }
}

/** Records with a numeric id field; NIS `+`/`-` compat lines are left to their own check (6.2.2-6.2.4). */
function parseColonFile(text: string): string[][] {
  return text.split('\n').filter((l) => l.trim() !== '' && !/^[#+-]/.test(l)).map((l) => l.split(':')).filter((f) => /^\d+$/.test(f[2] ?? ''));
}

/** /proc/mounts escapes space, tab, newline and backslash as octal. */
function unescapeMount(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}
