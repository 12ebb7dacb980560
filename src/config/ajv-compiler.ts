/**
 * ajv's compiler and its formats, loaded on first use. The run path validates with the validators the build wrote
 * out (schema-validators.ts) and never compiles a schema unless a gateway adds custom collectors, so loading ajv at
 * start-up would only cost memory: about 3.3 MB private in a fresh node with the launcher's flags.
 */
import { createRequire } from 'node:module';
import type { Ajv, Options } from 'ajv';

const require = createRequire(import.meta.url);

/** A new ajv instance with `options`; `formats` adds ajv-formats (date-time, ipv4, uri, ...). */
export function newAjv(options: Options, formats = false): Ajv {
  const { Ajv: AjvClass } = require('ajv') as typeof import('ajv');
  const ajv = new AjvClass(options);
  if (formats) (require('ajv-formats') as (ajv: Ajv) => Ajv)(ajv);
  return ajv;
}
