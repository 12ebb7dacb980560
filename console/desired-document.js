// The desired document as text: parse with a located syntax error, format, and the patch from one version to another.

/** Desired without the hub's own $-keys: what the user edits. */
export function editable(desired) {
  return Object.fromEntries(Object.entries(desired ?? {}).filter(([k]) => !k.startsWith('$')));
}

export function format(doc) {
  return Object.keys(doc).length === 0 ? '{\n}' : JSON.stringify(doc, null, 2);
}

/** What changed from `base` to `next`, as a desired patch: removed keys become null. */
export function diffPatch(base, next) {
  const patch = {};
  for (const [k, v] of Object.entries(next)) if (JSON.stringify(v) !== JSON.stringify(base[k])) patch[k] = v;
  for (const k of Object.keys(base)) if (!(k in next)) patch[k] = null;
  return patch;
}

/** Where V8's JSON.parse message says the error is: "at position N", or the quoted excerpt it shows, or the end. */
function errorOffset(text, message) {
  const position = /position (\d+)/.exec(message);
  if (position) return Number(position[1]);
  if (/end of JSON input/.test(message)) return text.length;
  const excerpt = /"(?:\.\.\.)?([\s\S]*?)(?:\.\.\.)?" is not valid JSON$/.exec(message);
  const at = excerpt ? text.indexOf(excerpt[1]) : -1;
  if (at < 0) return undefined;
  const token = /token '(.)'/.exec(message);
  return at + Math.max(0, token ? excerpt[1].indexOf(token[1]) : 0);
}

export function syntaxProblem(text) {
  try {
    const value = JSON.parse(text);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return { message: 'desired must be a JSON object' };
    return { value };
  } catch (err) {
    const what = err.message.replace(/,? ?(\.\.\.)?"[\s\S]*" is not valid JSON$/, '').replace(/\s*(in JSON )?at position \d+.*$/, '');
    const offset = errorOffset(text, err.message);
    if (offset === undefined) return { message: `JSON syntax error: ${what}` };
    const upTo = text.slice(0, offset).split('\n');
    return { message: `JSON syntax error at line ${upTo.length}, column ${upTo[upTo.length - 1].length + 1}: ${what}` };
  }
}
