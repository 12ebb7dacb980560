/** Debian control-style stanzas (dpkg and opkg status files): `Key: value`, continuation lines, blank-line separated. */

export type Stanza = ReadonlyMap<string, string>;

export interface StanzaParse {
  readonly stanzas: Stanza[];
  /** Stanzas skipped because a line was neither a field nor a continuation. */
  readonly skipped: number;
}

const FIELD_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** The fields an SBoM needs; the rest (descriptions, conffiles, depends) are checked for shape but never copied. */
export const SBOM_FIELDS: readonly string[] = ['Package', 'Status', 'Version', 'Architecture', 'Maintainer', 'Source'];

/**
 * Field names are case-insensitive in dpkg: `keep` lists the wanted ones as they are returned. Lines are scanned with
 * indexOf and only kept values are sliced out, so a 2,000-package status file makes few strings.
 */
export function parseStanzas(text: string, keep: readonly string[] = SBOM_FIELDS): StanzaParse {
  const wanted = new Map(keep.map((k) => [k.toLowerCase(), k]));
  const stanzas: Stanza[] = [];
  let skipped = 0;
  let fields = new Map<string, string>();
  let seenField = false;
  let last: string | undefined;
  let broken = false;
  const finish = (): void => {
    if (broken) skipped++;
    else if (seenField) stanzas.push(fields);
    fields = new Map();
    seenField = false;
    last = undefined;
    broken = false;
  };
  for (let at = 0; at <= text.length; ) {
    let end = text.indexOf('\n', at);
    if (end === -1) end = text.length;
    const stop = end > at && text.charCodeAt(end - 1) === 13 ? end - 1 : end;
    const lineStart = at;
    at = end + 1;
    const first = text.charCodeAt(lineStart);
    const indented = first === 32 || first === 9;
    if (stop === lineStart || (indented && text.slice(lineStart, stop).trim() === '')) {
      finish();
      continue;
    }
    if (broken) continue;
    if (indented) {
      if (!seenField) broken = true;
      else if (last !== undefined) fields.set(last, `${fields.get(last) ?? ''}\n${text.slice(lineStart + 1, stop)}`);
      continue;
    }
    const colon = text.indexOf(':', lineStart);
    const name = colon === -1 || colon >= stop ? '' : text.slice(lineStart, colon);
    if (!FIELD_NAME.test(name)) {
      broken = true;
      continue;
    }
    seenField = true;
    last = wanted.get(name.toLowerCase());
    if (last !== undefined) fields.set(last, text.slice(colon + 1, stop).trim());
  }
  finish();
  return { stanzas, skipped };
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
