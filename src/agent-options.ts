/**
 * What MicroAgent is created with: the public options a gateway passes, and the internal knobs (clock,
 * timeouts, transport, sizes) that only the CLI and the tests set.
 */
import type { ModuleClient } from 'azure-iot-device';
import type { Logger } from 'pino';
import { builtInCollectors, type BuiltInCollectorName } from '../collectors/registry.js';
import type { DefinedCollector } from '../collectors/define-collector.js';
import type { CollectorFactory } from '../collectors/types.js';
import type { Clock } from './clock.js';
import type { ClientSource } from './hub/client-source.js';
import { UserInputError } from './errors.js';
import { parseConnectionString, readConnectionStringFile, type ModuleConnectionString } from './hub/connection-string.js';
import type { Transport } from './hub/hub-link.js';

export type { BuiltInCollectorName } from '../collectors/registry.js';

export interface MicroAgentOptions {
  /** The module connection string of `DefenderIotMicroAgent` (one of connectionString, connectionStringFile, client). */
  connectionString?: string;
  /** A file holding the connection string: mode 0600, owned by this process's user or root; read by start(). */
  connectionStringFile?: string;
  /**
   * A `ModuleClient` the host program created for the `DefenderIotMicroAgent` identity. The agent opens it when
   * needed and listens on it while running; stop() removes its listeners and never closes it.
   */
  client?: ModuleClient;
  /** PEM of a CA to trust (IoT Edge gateway); not used with `client`, which carries its own options. */
  ca?: string;
  /** Agent id, accepted configuration, outbox, offsets. Without it everything lives in memory. */
  stateDir?: string;
  /** A pino logger (or one with its interface); silent by default. */
  log?: Logger;
  /** Device-side defaults for twin keys; the twin's desired properties override them. */
  twinDefaults?: Record<string, unknown>;
  /** The built-in collectors to run, by twin name; all of them by default. */
  builtInCollectors?: readonly BuiltInCollectorName[];
  /** Collectors of your own, by twin name, run beside the built-in ones. */
  collectors?: Readonly<Record<string, CollectorFactory>>;
  /** Collectors of your own declared with defineCollector: their twin keys and event schema join the agent's. */
  customCollectors?: readonly DefinedCollector[];
}

/** Knobs for the CLI and the tests; not part of the public API. */
export interface AgentInternals {
  transport?: Transport;
  hostRoot?: string;
  clock?: Clock;
  random?: () => number;
  outboxMaxBytes?: number;
  maxMessageBytes?: number;
  /** Twin GET / reported PATCH timeout; after a timeout the link reconnects from scratch. Default 20 s. */
  twinTimeoutMs?: number;
  /** How long a configuration change waits for the messages queued before it to reach the hub. Default 500 ms. */
  flushBeforeApplyMs?: number;
  /** Deadline of one collector start() or collect(); a collector past it is reported failed. Default 15 s. */
  collectTimeoutMs?: number;
  /** Exactly these collectors, instead of the public selection (tests that run one collector alone). */
  collectorSet?: Readonly<Record<string, CollectorFactory>>;
  /** Where hub clients come from instead of a connection string: IoT Edge's environment (src/edge/edge-client.ts). */
  clientSource?: ClientSource;
}

export type TunedAgentOptions = MicroAgentOptions & AgentInternals;

/** Every internal key, checked against AgentInternals both ways by the compiler. */
const INTERNAL_KEYS = ['transport', 'hostRoot', 'clock', 'random', 'outboxMaxBytes', 'maxMessageBytes', 'twinTimeoutMs',
  'flushBeforeApplyMs', 'collectTimeoutMs', 'collectorSet', 'clientSource'] as const satisfies readonly (keyof AgentInternals)[];
type Missing = Exclude<keyof AgentInternals, (typeof INTERNAL_KEYS)[number]>;
const complete: Missing extends never ? true : Missing = true;
void complete;

/** Splits one flat options object (CLI, tests) into the public options and the internal knobs. */
export function splitOptions(all: TunedAgentOptions): [MicroAgentOptions, AgentInternals] {
  const internal = new Set<string>(INTERNAL_KEYS);
  const pick = (want: boolean): Record<string, unknown> => Object.fromEntries(Object.entries(all).filter(([k]) => internal.has(k) === want));
  return [pick(false) as MicroAgentOptions, pick(true) as AgentInternals];
}

/** Where the agent's hub connection comes from, checked when the agent is created. */
export type ConnectionSource =
  | { readonly kind: 'parsed'; readonly connectionString: ModuleConnectionString }
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'client'; readonly client: ModuleClient }
  | { readonly kind: 'source'; readonly clientSource: ClientSource };

export type HubConnection =
  | { readonly connectionString: ModuleConnectionString }
  | { readonly client: ModuleClient }
  | { readonly clientSource: ClientSource };

/** Exactly one of connectionString, connectionStringFile and client (or the CLI's clientSource); UserInputError otherwise. */
export function connectionSource(options: TunedAgentOptions): ConnectionSource {
  if (options.clientSource !== undefined) return { kind: 'source', clientSource: options.clientSource };
  const given = (['connectionString', 'connectionStringFile', 'client'] as const).filter((k) => options[k] !== undefined);
  if (given.length !== 1) {
    throw new UserInputError(`MicroAgent: give exactly one of connectionString, connectionStringFile or client (got ${given.length === 0 ? 'none' : given.join(', ')})`);
  }
  if (options.client !== undefined) {
    if (typeof options.client.open !== 'function' || typeof options.client.getTwin !== 'function') throw new UserInputError('MicroAgent: client is not an azure-iot-device ModuleClient');
    return { kind: 'client', client: options.client };
  }
  if (options.connectionStringFile !== undefined) return { kind: 'file', path: options.connectionStringFile };
  return { kind: 'parsed', connectionString: parseConnectionString(String(options.connectionString)) };
}

export async function resolveConnection(source: ConnectionSource): Promise<HubConnection> {
  if (source.kind === 'client') return { client: source.client };
  if (source.kind === 'source') return { clientSource: source.clientSource };
  if (source.kind === 'parsed') return { connectionString: source.connectionString };
  return { connectionString: await readConnectionStringFile(source.path) };
}

/** The collectors to run: the chosen built-in ones plus the host program's own (an own one wins a shared name). */
export function selectCollectors(options: TunedAgentOptions): Readonly<Record<string, CollectorFactory>> {
  if (options.collectorSet !== undefined) return options.collectorSet;
  const names = options.builtInCollectors ?? (Object.keys(builtInCollectors) as BuiltInCollectorName[]);
  const chosen: Record<string, CollectorFactory> = {};
  for (const name of names) {
    if (!Object.hasOwn(builtInCollectors, name)) {
      throw new UserInputError(`MicroAgent: builtInCollectors: unknown collector ${JSON.stringify(String(name).slice(0, 40))}; known: ${Object.keys(builtInCollectors).join(', ')}`);
    }
    chosen[name] = builtInCollectors[name];
  }
  return { ...chosen, ...options.collectors };
}
