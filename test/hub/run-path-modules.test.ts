import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

// A fresh Node loads the built hub link and config as `run` does, then reports what landed in the module cache.
const PROBE = `
const { createRequire } = require('node:module');
(async () => {
  await import('./dist/src/hub/hub-link.js');
  const { parseLocalConfig } = await import('./dist/src/config/local-config.js');
  const { twinSchema } = await import('./dist/src/config/twin-schema.js');
  parseLocalConfig({});
  twinSchema().validate({});
  const fromDevice = createRequire(require.resolve('azure-iot-device'));
  const _ = fromDevice('lodash');
  const loaded = Object.keys(require.cache);
  process.stdout.write(JSON.stringify({
    fullLodash: typeof _.VERSION === 'string',
    ajvCompiler: loaded.filter((k) => k.includes('/ajv/') && !k.includes('/ajv/dist/runtime/')).length,
    merged: _.merge({ a: { b: 1, c: [1, 2] } }, { a: { c: [3], d: null } }),
    at: _.at({ a: { b: [{ c: 3 }] } }, ['a.b[0].c', 'x.y']),
    extend: _.extend({ a: 1 }, { b: 2 }),
    notAMethod: _.__esModule === undefined && _['no-such'] === undefined,
  }));
})();
`;

describe('what the run path loads', () => {
  it('the SDK gets lodash one method at a time (never the whole 540 KB file), with lodash\'s own behaviour, and no ajv compiler', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', PROBE], { cwd: root });
    expect(JSON.parse(stdout)).toEqual({
      fullLodash: false,
      ajvCompiler: 0,
      merged: { a: { b: 1, c: [3, 2], d: null } },
      at: [3, null], // JSON writes the missing path's undefined as null
      extend: { a: 1, b: 2 },
      notAMethod: true,
    });
  });
});
