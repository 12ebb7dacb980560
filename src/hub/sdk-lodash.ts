/**
 * azure-iot-device and machina (its state machines) require all of lodash, a 540 KB file that stays about 2.3 MB
 * resident, for a dozen methods. Before the SDK loads, lodash's entry in the module cache is filled with an object
 * that loads lodash's own one-method modules (`lodash/merge`, ...) on first use: the same code, a fifth of it loaded.
 */
import { Module, createRequire } from 'node:module';

installLazyLodash(); // on import: the SDK requires lodash while it loads, before any code of ours runs

function installLazyLodash(): void {
  try {
    const fromDevice = createRequire(createRequire(import.meta.url).resolve('azure-iot-device'));
    const path = fromDevice.resolve('lodash');
    const cache = createRequire(import.meta.url).cache;
    if (cache[path] !== undefined) return;
    const fromLodash = createRequire(path);
    const methods = new Map<string, unknown>();
    const lazy = new Proxy(Object.create(null) as Record<string, unknown>, {
      get(_target, key) {
        if (typeof key !== 'string' || !/^[a-zA-Z]+$/.test(key)) return undefined;
        if (!methods.has(key)) methods.set(key, loadMethod(fromLodash, key));
        return methods.get(key);
      },
    });
    const entry = new Module(path);
    entry.filename = path;
    entry.loaded = true;
    entry.exports = lazy;
    cache[path] = entry;
  } catch {
    // A different SDK layout loads the whole of lodash as before: it only costs the memory back.
  }
}

/** lodash ships one module per method and alias; a name it has none for reads as undefined, as on lodash itself. */
function loadMethod(fromLodash: NodeJS.Require, name: string): unknown {
  try {
    return fromLodash(`./${name}.js`);
  } catch {
    return undefined;
  }
}
