/**
 * The config schemas' validators. The build writes them as ajv standalone code (`npm run build` runs
 * build-validators.js), so the agent never loads ajv's compiler (about 6 MB resident with the two schemas). Each
 * file carries the SHA-256 of the schema it was built from; a missing or stale one (source run before a build)
 * is compiled here with ajv instead, with the same options.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Options, ValidateFunction } from 'ajv';
import { packageFile } from '../package-root.js';
import { newAjv } from './ajv-compiler.js';

export const SCHEMA_VALIDATORS = {
  'local-config': { schemaFile: 'local-config.schema.json', options: { useDefaults: true, allErrors: true, strict: true } },
  'twin-desired': { schemaFile: 'twin-desired.schema.json', options: { allErrors: true, strict: true, coerceTypes: false, useDefaults: false } },
} as const satisfies Record<string, { schemaFile: string; options: Options }>;

export type ValidatorName = keyof typeof SCHEMA_VALIDATORS;

const require = createRequire(import.meta.url);

/** Where the build puts a validator: beside the compiled code, so the npm package and the .deb ship it. */
export function builtValidatorPath(name: ValidatorName): string {
  return packageFile('dist', 'src', 'config', 'validators', `${name}.cjs`);
}

export function schemaText(name: ValidatorName): string {
  return readFileSync(packageFile('config-schema', SCHEMA_VALIDATORS[name].schemaFile), 'utf8');
}

export function schemaHash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The built validator when it matches the schema file's text, else one compiled now. */
export function loadValidator(name: ValidatorName, text = schemaText(name)): ValidateFunction {
  const built = builtValidatorPath(name);
  if (existsSync(built)) {
    const mod = require(built) as ValidateFunction & { schemaHash?: string };
    if (mod.schemaHash === schemaHash(text)) return mod;
  }
  return compileValidator(name, text).validate;
}

/** A schema derived from a named one (a gateway's custom twin keys added), compiled with the same options. */
export function compileSchema(name: ValidatorName, schema: object): ValidateFunction {
  return newAjv(SCHEMA_VALIDATORS[name].options).compile(schema);
}

/** ajv's compiler, loaded only here; `source` keeps the code the build writes out. */
export function compileValidator(name: ValidatorName, text: string, source = false): { validate: ValidateFunction; standalone?: string } {
  const ajv = newAjv({ ...SCHEMA_VALIDATORS[name].options, code: { source, esm: false } });
  const validate = ajv.compile(JSON.parse(text) as object);
  if (!source) return { validate };
  const standaloneCode = (require('ajv/dist/standalone/index.js') as typeof import('ajv/dist/standalone/index.js')).default;
  return { validate, standalone: `${standaloneCode(ajv, validate)}\nmodule.exports.schemaHash = ${JSON.stringify(schemaHash(text))};\n` };
}
