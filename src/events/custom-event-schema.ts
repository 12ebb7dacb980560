/** A custom collector's event: its schema in the message schema set, and the check every emitted one passes. */
import type { Ajv, ErrorObject } from 'ajv';
import type { DefinedCollector, JsonSchema } from '../../collectors/define-collector.js';
import { newAjv } from '../config/ajv-compiler.js';
import type { CollectedEvent } from './event.js';

/** What aggregation and truncation may add to any payload item. */
const EXTRA_DETAILS = { type: 'object', additionalProperties: { type: 'string' } } as const;

/** The declared item schema, with `ExtraDetails` allowed when it lists properties and does not declare it. */
export function payloadItemSchema(def: DefinedCollector): JsonSchema {
  const schema = def.event.payloadItemSchema;
  const properties = schema['properties'];
  if (typeof properties !== 'object' || properties === null || 'ExtraDetails' in properties) return schema;
  return { ...schema, properties: { ...properties, ExtraDetails: EXTRA_DETAILS } };
}

/** The `$id` of a custom event's schema in the message schema set. */
export function customEventSchemaId(def: DefinedCollector): string {
  return `custom${def.name}${def.event.name}_v${def.event.payloadSchemaVersion ?? '1.0'}.json`;
}

/** The event's schema in the form of the official `messageEvent*_v1_0.json` files. */
export function customEventSchema(def: DefinedCollector): JsonSchema {
  const e = def.event;
  return {
    $id: customEventSchemaId(def),
    title: `${e.eventType}:${e.name} (custom collector ${def.name})`,
    type: 'object',
    properties: {
      Category: { enum: [e.category] },
      Name: { enum: [e.name] },
      EventType: { enum: [e.eventType] },
      PayloadSchemaVersion: { enum: [e.payloadSchemaVersion ?? '1.0'] },
      Payload: { type: 'array', items: payloadItemSchema(def) },
    },
  };
}

/** Why an event this collector emitted does not match its declaration (one short line), or undefined. */
export type CustomEventCheck = (event: CollectedEvent) => string | undefined;

/** Compiles the payload item schema once; an invalid schema throws a TypeError naming the collector. */
export function customEventCheck(def: DefinedCollector): CustomEventCheck {
  const ajv = newAjv({ strict: false, allErrors: false }, true);
  let validItem: ReturnType<Ajv['compile']>;
  try {
    validItem = ajv.compile(payloadItemSchema(def));
  } catch (err) {
    throw new TypeError(`custom collector ${def.name}: event.payloadItemSchema is not a valid JSON Schema: ${(err as Error).message}`);
  }
  const e = def.event;
  const version = e.payloadSchemaVersion ?? '1.0';
  return (event) => {
    if (event.name !== e.name) return `${event.name.slice(0, 60)}: not the event ${e.name} this collector declared`;
    if (event.category !== e.category || event.eventType !== e.eventType) {
      return `${e.name}: category/eventType ${event.category}/${event.eventType}, declared ${e.category}/${e.eventType}`;
    }
    if ((event.payloadSchemaVersion ?? '1.0') !== version) return `${e.name}: payloadSchemaVersion must be ${version}`;
    for (const [i, item] of event.payload.entries()) {
      if (!validItem(item)) return `${e.name}: payload item ${i} ${describe(validItem.errors?.[0])}`;
    }
    return undefined;
  };
}

function describe(error: ErrorObject | undefined): string {
  if (error === undefined) return 'is invalid';
  return `${error.instancePath || ''} ${error.message ?? error.keyword}`.trim().slice(0, 120);
}
