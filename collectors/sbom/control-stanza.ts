/** Debian control-style stanzas (dpkg and opkg status files): `Key: value`, continuation lines, blank-line separated. */

export type Stanza = ReadonlyMap<string, string>;

export interface StanzaParse {
  readonly stanzas: Stanza[];
  /** Stanzas skipped because a line was neither a field nor a continuation. */
  readonly skipped: number;
}

const FIELD = /^([A-Za-z0-9][A-Za-z0-9_.-]*):[ \t]*(.*)$/;

/** Field names are case-insensitive in dpkg; they are stored as written in the first stanza seen. */
export function parseStanzas(text: string): StanzaParse {
  const stanzas: Stanza[] = [];
  let skipped = 0;
  let fields = new Map<string, string>();
  let last: string | undefined;
  let broken = false;
  const finish = (): void => {
    if (fields.size > 0 || broken) {
      if (broken) skipped++;
      else stanzas.push(fields);
    }
    fields = new Map();
    last = undefined;
    broken = false;
  };
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') {
      finish();
      continue;
    }
    if (broken) continue;
    if (line.startsWith(' ') || line.startsWith('\t')) {
      if (last === undefined) broken = true;
      else fields.set(last, `${fields.get(last) ?? ''}\n${line.slice(1)}`);
      continue;
    }
    const m = FIELD.exec(line);
    if (m?.[1] === undefined) {
      broken = true;
      continue;
    }
    last = canonical(m[1]);
    fields.set(last, m[2] ?? '');
  }
  finish();
  return { stanzas, skipped };
}

/** `package` and `Package` are one field; the first letter of each dash-part is upper case. */
function canonical(name: string): string {
  return name
    .split('-')
    .map((p) => (p === '' ? p : p[0]!.toUpperCase() + p.slice(1).toLowerCase()))
    .join('-');
}

/** Package states in which the files are on disk (dpkg(1)); config-files, half-installed, unpacked are not installed. */
const INSTALLED_STATES = new Set(['installed', 'triggers-pending', 'triggers-awaited', 'half-configured']);

/**
 * Whether a `Status: <want> <flag> <state>` line means installed. opkg writes flags like `user` or `ok,hold`, so only the
 * first and last words count. Undefined when the line is not a status at all (the stanza is then skipped and counted).
 */
export function isInstalledStatus(status: string): boolean | undefined {
  const words = status.trim().split(/\s+/);
  if (words.length !== 3) return undefined;
  return INSTALLED_STATES.has(words[2]!);
}

/** `Source: name` or `Source: name (version)`: the name. */
export function sourceName(source: string | undefined, fallback: string): string {
  const name = (source ?? '').trim().split(/\s+/)[0] ?? '';
  return name === '' ? fallback : name;
}
