/** Loads config-schema/twin-desired.schema.json once, with its validator (built ahead, else compiled once with ajv). */
import type { ErrorObject, ValidateFunction } from 'ajv';
import { packageFile } from '../package-root.js';
import { loadValidator, schemaText } from './schema-validators.js';

export const TWIN_SCHEMA_FILE = 'twin-desired.schema.json';

export interface PropertySchema {
  readonly type: 'string' | 'boolean' | 'integer';
  readonly default: string | boolean | number;
  readonly description: string;
  readonly enum?: readonly (string | number)[];
  readonly minimum?: number;
  readonly maximum?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly pattern?: string;
}

export interface TwinSchema {
  readonly properties: Readonly<Record<string, PropertySchema>>;
}

export interface CompiledTwinSchema {
  readonly schema: TwinSchema;
  readonly keys: readonly string[];
  /** Null-prototype map of every key to its schema default. */
  readonly defaults: Readonly<Record<string, unknown>>;
  validate(doc: unknown): readonly ErrorObject[];
}

export function twinSchemaPath(): string {
  return packageFile('config-schema', TWIN_SCHEMA_FILE);
}

let compiled: CompiledTwinSchema | undefined; // memo: the schema file is read and compiled once per process

export function twinSchema(): CompiledTwinSchema {
  if (compiled === undefined) {
    const text = schemaText('twin-desired');
    compiled = compileTwinSchema(JSON.parse(text) as TwinSchema & object, loadValidator('twin-desired', text));
  }
  return compiled;
}

function compileTwinSchema(schema: TwinSchema & object, validateFn: ValidateFunction): CompiledTwinSchema {
  const defaults: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const [key, prop] of Object.entries(schema.properties)) defaults[key] = prop.default;
  return {
    schema,
    keys: Object.freeze(Object.keys(schema.properties)),
    defaults: Object.freeze(defaults),
    validate(doc) {
      return validateFn(doc) ? [] : [...(validateFn.errors ?? [])];
    },
  };
}
