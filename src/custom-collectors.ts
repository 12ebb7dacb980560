/**
 * Gateways' own collectors joined to the built-in ones: their twin keys composed into the twin schema (validated
 * and reported like the built-in keys), their events checked at emit and part of the message schema set.
 */
import type { DefinedCollector, JsonSchema } from '../collectors/define-collector.js';
import type { CollectorFactory } from '../collectors/types.js';
import { toDesiredRecord, validateDesired, type DesiredValidation } from './config/desired-validation.js';
import { COLLECTOR_NAMES } from './config/twin-keys.js';
import { composeTwinSchema, twinSchema, type CompiledTwinSchema } from './config/twin-schema.js';
import { customEventCheck, customEventSchema, type CustomEventCheck } from './events/custom-event-schema.js';
import { messageValidator } from './events/message-schema.js';
import { packageFile } from './package-root.js';

export interface PreparedCollectors {
  readonly factories: Readonly<Record<string, CollectorFactory>>;
  readonly twinSchema: CompiledTwinSchema;
  /** Every collector with twin keys: the built-in names, then the custom ones. */
  readonly collectorNames: readonly string[];
  readonly eventChecks: Readonly<Record<string, CustomEventCheck>>;
}

/** Names that are not collectors but own twin keys. */
const RESERVED_PREFIXES = ['CollectorsCore', 'IothubModule'];
const SCALAR_TYPES = ['string', 'integer', 'number', 'boolean'];

/** Checks the custom collectors against the built-in ones and each other; throws a TypeError naming the problem. */
export function prepareCollectors(builtIn: Readonly<Record<string, CollectorFactory>>, custom: readonly DefinedCollector[]): PreparedCollectors {
  if (custom.length === 0) {
    return { factories: builtIn, twinSchema: twinSchema(), collectorNames: COLLECTOR_NAMES, eventChecks: {} };
  }
  const taken = new Set<string>([...COLLECTOR_NAMES, ...Object.keys(builtIn), ...RESERVED_PREFIXES]);
  const factories: Record<string, CollectorFactory> = { ...builtIn };
  const eventChecks: Record<string, CustomEventCheck> = {};
  for (const def of custom) {
    if (def?.kind !== 'defined-collector') throw new TypeError('customCollectors: each entry must come from defineCollector()');
    if (taken.has(def.name)) throw new TypeError(`custom collector ${def.name}: the name is already used by another collector`);
    taken.add(def.name);
    factories[def.name] = def.create;
    eventChecks[def.name] = customEventCheck(def);
  }
  const schema = composedTwinSchema(custom);
  return { factories, twinSchema: schema, collectorNames: [...COLLECTOR_NAMES, ...custom.map((d) => d.name)], eventChecks };
}

/** The built-in twin schema plus every custom key; a bad fragment or a default its fragment refuses throws. */
function composedTwinSchema(custom: readonly DefinedCollector[]): CompiledTwinSchema {
  const extra: Record<string, JsonSchema> = {};
  for (const def of custom) {
    for (const k of def.keys) {
      if (!SCALAR_TYPES.includes(String(k.schema['type']))) {
        throw new TypeError(`custom collector ${def.name}: twin key ${k.key} needs a "type" of ${SCALAR_TYPES.join(', ')}`);
      }
      extra[k.key] = { description: k.description, ...k.schema, default: k.default };
    }
  }
  let schema: CompiledTwinSchema;
  try {
    schema = composeTwinSchema(extra);
  } catch (err) {
    throw new TypeError(`custom collectors: a twin key schema is not valid JSON Schema: ${(err as Error).message}`);
  }
  const defaults = Object.fromEntries(custom.flatMap((d) => d.keys.map((k) => [k.key, k.default])));
  const check = validateDesired(defaults, schema);
  if (!check.valid) {
    throw new TypeError(`custom collectors: invalid default: ${check.reasons.map((r) => `${r.key} ${r.reason}`).join('; ')}`);
  }
  return schema;
}

/** The schemas of an agent with these custom collectors, for validation tooling and a gateway's own tests. */
export interface AgentSchemas {
  /** The twin desired properties schema, built-in and custom keys (JSON Schema draft-07). */
  readonly twinDesired: JsonSchema;
  /** One schema per custom event, in the form of the official `messageEvent*_v1_0.json` files. */
  readonly events: readonly JsonSchema[];
  /** Validates a desired document ($version, $metadata ignored) as the agent does: `{ valid }` or the exact invalid keys with reasons. */
  validateDesired(doc: unknown): DesiredValidation;
  /** Validates a whole security message against the official set plus the custom events; [] when valid. */
  validateMessage(message: unknown): string[];
}

export function agentSchemas(defs: readonly DefinedCollector[] = []): AgentSchemas {
  const prepared = prepareCollectors({}, defs);
  const events = defs.map(customEventSchema);
  const messages = messageValidator(packageFile('message-schema'), events);
  return {
    twinDesired: prepared.twinSchema.schema as unknown as JsonSchema,
    events,
    validateDesired: (doc) => validateDesired(toDesiredRecord(doc) ?? doc, prepared.twinSchema),
    validateMessage: (message) => messages.validate(message),
  };
}
