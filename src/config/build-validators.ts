/** Build step (`npm run build`, after tsc): writes each config schema's validator as ajv standalone code. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { SCHEMA_VALIDATORS, builtValidatorPath, compileValidator, schemaText, type ValidatorName } from './schema-validators.js';

for (const name of Object.keys(SCHEMA_VALIDATORS) as ValidatorName[]) {
  const out = builtValidatorPath(name);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, compileValidator(name, schemaText(name), true).standalone ?? '');
}
