/** Loads config-schema/twin-desired.schema.json once, with its validator (built ahead, else compiled once with ajv). */
import type { ErrorObject, ValidateFunction } from 'ajv';
import { packageFile } from '../package-root.js';
import { compileSchema, loadValidator, schemaText } from './schema-validators.js';

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

/** The built-in schema with `extra` keys added (custom collectors' keys); an invalid fragment throws ajv's error. */
export function composeTwinSchema(extra: Readonly<Record<string, object>>): CompiledTwinSchema {
  const base = JSON.parse(schemaText('twin-desired')) as TwinSchema & object;
  const schema = { ...base, properties: { ...base.properties, ...(extra as Record<string, PropertySchema>) } };
  return compileTwinSchema(schema, compileSchema('twin-desired', schema));
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
