/**
 * Where the hub link gets a new ModuleClient on every (re)connect: from a module connection string, or
 * (IoT Edge) from the environment edgeAgent gives the module. Also where its messages go.
 */
import devicePkg from 'azure-iot-device';
import type { ConnectAdvice } from './connect-reason.js';
import type { ModuleConnectionString } from './connection-string.js';

const { ModuleClient } = devicePkg;
export type ModuleClientT = InstanceType<typeof ModuleClient>;
/** A transport class as the SDK's client factories take it (see guarded-transport.ts). */
export type TransportCtor = new (...args: never[]) => object;

/** Who connects, and where to: the hub's name, or the gateway (edgeHub) that stands in for it. */
export interface ModuleAddress {
  readonly hostName: string;
  readonly deviceId: string;
  readonly moduleId: string;
  readonly gatewayHostName?: string;
}

export interface ClientSource {
  readonly address: ModuleAddress;
  /** Security messages leave on this module output (sendOutputEvent, `$.on`); undefined: device-to-cloud events. */
  readonly outputName?: string;
  /** What to check when the certificate or the credentials are refused; the connection string's advice by default. */
  readonly advice?: ConnectAdvice;
  /** A new, unopened client over `transport`; rejects when its credentials cannot be had. */
  create(transport: TransportCtor): Promise<ModuleClientT>;
}

export function connectionStringSource(cs: ModuleConnectionString): ClientSource {
  return { address: cs, create: async (transport) => ModuleClient.fromConnectionString(cs.raw, transport) };
}
