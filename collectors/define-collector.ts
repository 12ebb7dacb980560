/**
 * A gateway's own collector, declared once: its twin name, the one event it sends with a JSON Schema for the
 * payload items, its extra twin keys (each a JSON Schema fragment with a default) and its factory. The agent
 * validates the twin keys with the built-in ones and every emitted event against the schema before it is queued.
 */
import type { EventCategory, EventType } from '../src/events/event.js';
import type { CollectorFactory } from './types.js';

/** A JSON Schema (draft-07) as a plain object. */
export type JsonSchema = Readonly<Record<string, unknown>>;

export type TwinScalar = string | number | boolean;

/** One extra twin key: `<CollectorName>_<key>` in the desired document. */
export interface CustomTwinKey<V extends TwinScalar = TwinScalar> {
  /** The value's schema: `{ type: 'integer', minimum: 1, maximum: 1440 }`; its top level must be a scalar type. */
  readonly schema: JsonSchema;
  /** Used until the twin (or twinDefaults) says otherwise; must satisfy `schema`. */
  readonly default: V;
  readonly description?: string;
}

export interface CustomEventDefinition {
  /** The event's `Name` on the wire, e.g. `DownstreamDeviceInventory`. */
  readonly name: string;
  readonly category: EventCategory;
  readonly eventType: EventType;
  /** `PayloadSchemaVersion` of the event; default "1.0". */
  readonly payloadSchemaVersion?: string;
  /**
   * JSON Schema of one payload item. The agent may add an `ExtraDetails` string map to an item (hit counts of
   * merged events, a truncation marker), so an object schema with `properties` gets that property allowed.
   */
  readonly payloadItemSchema: JsonSchema;
}

export interface CollectorDefinition<K extends string = string> {
  /** The twin name and key prefix: `DownstreamDevices` gives `DownstreamDevices_Disabled`, ... */
  readonly name: string;
  readonly event: CustomEventDefinition;
  /** Defaults of the three keys every collector has. */
  readonly defaults?: { readonly Disabled?: boolean; readonly MessageFrequency?: 'Low' | 'Medium' | 'High'; readonly CacheSize?: number };
  /** Extra keys by their name after the prefix: `{ StaleAfterMinutes: { schema, default } }`. */
  readonly twinKeys?: { readonly [key in K]: CustomTwinKey };
  /** Creates the collector; its `settings` hold every `<name>_*` key with its effective value. */
  readonly create: CollectorFactory;
}

/** A checked definition, ready to hand to `new MicroAgent({ customCollectors: [...] })`. */
export interface DefinedCollector<K extends string = string> extends CollectorDefinition<K> {
  readonly kind: 'defined-collector';
  /** Every twin key of this collector with its full name, schema fragment and default. */
  readonly keys: readonly { readonly key: string; readonly schema: JsonSchema; readonly default: TwinScalar; readonly description: string }[];
}

const TWIN_NAME = /^[A-Z][A-Za-z0-9]{0,47}$/;
const KEY_NAME = /^[A-Za-z][A-Za-z0-9]{0,63}$/;
const EVENT_NAME = /^[A-Za-z][A-Za-z0-9_]{0,99}$/;
/** The three keys every collector has; a declared key cannot reuse these names. */
const COMMON_KEYS = ['Disabled', 'MessageFrequency', 'CacheSize'];

/** Checks a collector definition (throws a TypeError naming the problem) and returns it with its full key list. */
export function defineCollector<const K extends string>(definition: CollectorDefinition<K>): DefinedCollector<K> {
  const { name, event } = definition;
  const fail = (problem: string): never => {
    throw new TypeError(`defineCollector(${JSON.stringify(String(name)).slice(0, 60)}): ${problem}`);
  };
  if (typeof name !== 'string' || !TWIN_NAME.test(name)) fail('name must start with a capital letter and hold only letters and digits (it is the twin key prefix)');
  if (typeof definition.create !== 'function') fail('create must be a collector factory function');
  if (typeof event?.name !== 'string' || !EVENT_NAME.test(event.name)) fail('event.name must be letters, digits or _ and start with a letter');
  if (!['Periodic', 'Triggered'].includes(event.category)) fail('event.category must be Periodic or Triggered');
  if (!['Security', 'Operational', 'Diagnostic'].includes(event.eventType)) fail('event.eventType must be Security, Operational or Diagnostic');
  if (!isObject(event.payloadItemSchema)) fail('event.payloadItemSchema must be a JSON Schema object');
  const d = definition.defaults ?? {};
  const keys: DefinedCollector['keys'][number][] = [
    { key: `${name}_Disabled`, schema: { type: 'boolean' }, default: d.Disabled ?? false, description: `Disables the ${name} collector.` },
    {
      key: `${name}_MessageFrequency`, schema: { type: 'string', enum: ['Low', 'Medium', 'High'] }, default: d.MessageFrequency ?? 'Medium',
      description: `Priority of the ${name} events: High, Medium or Low (case-sensitive).`,
    },
    {
      key: `${name}_CacheSize`, schema: { type: 'integer', minimum: 1, maximum: 65536 }, default: d.CacheSize ?? 256,
      description: `Number of ${name} events (after aggregation) held between sends.`,
    },
  ];
  for (const [short, spec] of Object.entries<CustomTwinKey>(definition.twinKeys ?? ({} as Record<string, CustomTwinKey>))) {
    if (!KEY_NAME.test(short) || COMMON_KEYS.includes(short)) fail(`twin key ${JSON.stringify(short)} must be letters and digits and not one of ${COMMON_KEYS.join(', ')}`);
    if (!isObject(spec) || !isObject(spec.schema)) fail(`twin key ${short}: schema must be a JSON Schema object`);
    if (!['string', 'number', 'boolean'].includes(typeof spec.default)) fail(`twin key ${short}: default must be a string, number or boolean`);
    keys.push({ key: `${name}_${short}`, schema: spec.schema, default: spec.default, description: spec.description ?? `${name} setting ${short}.` });
  }
  return Object.freeze({ ...definition, kind: 'defined-collector' as const, keys: Object.freeze(keys) });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
