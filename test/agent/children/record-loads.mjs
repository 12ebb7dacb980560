// node --import this: every module URL the ESM loader resolves goes to $LOADS_FILE (hooks run on their own
// thread); the CommonJS modules in require.cache are added when the process exits.
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';

const file = process.env.LOADS_FILE;
register(`data:text/javascript,${encodeURIComponent(`
  import { appendFileSync } from 'node:fs';
  export async function resolve(specifier, context, next) {
    const result = await next(specifier, context);
    appendFileSync(${JSON.stringify(file)}, result.url + '\\n');
    return result;
  }`)}`);
const cache = createRequire(import.meta.url).cache;
process.once('exit', () => appendFileSync(file, Object.keys(cache).map((p) => `cjs:${p}\n`).join('')));
