/**
 * The environment IoT Edge's edgeAgent gives a module (IOTEDGE_*), read and checked before the SDK's
 * ModuleClient.fromEnvironment uses it; and the host root a module sees the host through.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { UserInputError } from '../errors.js';
import type { ModuleAddress } from '../hub/client-source.js';

/** What ModuleClient.fromEnvironment requires (azure-iot-device module_client validateEnvironment). */
export const EDGE_REQUIRED_VARIABLES = [
  'IOTEDGE_WORKLOADURI', 'IOTEDGE_DEVICEID', 'IOTEDGE_MODULEID', 'IOTEDGE_MODULEGENERATIONID', 'IOTEDGE_IOTHUBHOSTNAME', 'IOTEDGE_AUTHSCHEME',
] as const;

/** Where the host's root is bind-mounted into the module's container (`/:/host:ro` in createOptions). */
export const EDGE_HOST_MOUNT = '/host';

export interface EdgeEnvironment {
  readonly address: ModuleAddress;
  /** `unix:///var/run/iotedge/workload.sock` (or http://host:port): signs SAS tokens, hands out the trust bundle. */
  readonly workloadUri: string;
  readonly generationId: string;
  /** edged's workload API version; the SDK ignores it and asks for 2018-06-28. */
  readonly apiVersion?: string;
}

/**
 * The Edge environment, or undefined when none of its variables is set. A partial or unusable one is a
 * UserInputError naming what is wrong: running as a plain agent by mistake would hide the module's failure.
 */
export function readEdgeEnvironment(env: NodeJS.ProcessEnv = process.env): EdgeEnvironment | undefined {
  const value = (name: string): string | undefined => {
    const v = env[name]?.trim();
    return v === undefined || v === '' ? undefined : v;
  };
  if (EDGE_REQUIRED_VARIABLES.every((name) => value(name) === undefined)) return undefined;
  const missing = EDGE_REQUIRED_VARIABLES.filter((name) => value(name) === undefined);
  if (missing.length > 0) throw new UserInputError(`incomplete IoT Edge environment: ${missing.join(', ')} not set (edgeAgent sets them for every module)`);
  const need = (name: (typeof EDGE_REQUIRED_VARIABLES)[number]): string => value(name) ?? '';
  const scheme = need('IOTEDGE_AUTHSCHEME');
  if (scheme.toLowerCase() !== 'sastoken') throw new UserInputError(`IOTEDGE_AUTHSCHEME ${JSON.stringify(scheme.slice(0, 40))} is not supported: only sasToken`);
  const workloadUri = need('IOTEDGE_WORKLOADURI');
  let uri: URL;
  try {
    uri = new URL(workloadUri);
  } catch {
    throw new UserInputError(`IOTEDGE_WORKLOADURI ${JSON.stringify(workloadUri.slice(0, 200))} is not a URI`);
  }
  if (uri.protocol === 'unix:' ? uri.pathname === '' || uri.pathname === '/' : uri.protocol !== 'http:') {
    throw new UserInputError(`IOTEDGE_WORKLOADURI ${JSON.stringify(workloadUri.slice(0, 200))} must be unix:///path/to/workload.sock or http://host:port`);
  }
  const gateway = value('IOTEDGE_GATEWAYHOSTNAME');
  const apiVersion = value('IOTEDGE_APIVERSION');
  return {
    address: {
      hostName: need('IOTEDGE_IOTHUBHOSTNAME'), deviceId: need('IOTEDGE_DEVICEID'), moduleId: need('IOTEDGE_MODULEID'),
      ...(gateway !== undefined ? { gatewayHostName: gateway } : {}),
    },
    workloadUri, generationId: need('IOTEDGE_MODULEGENERATIONID'),
    ...(apiVersion !== undefined ? { apiVersion } : {}),
  };
}

/**
 * Under Edge the default host root `/` becomes `/host` when the host is mounted there (`/host/proc`
 * exists); a hostRoot set to anything else is kept.
 */
export function edgeHostRoot(configured: string, exists: (path: string) => boolean = existsSync): string {
  if (configured !== '/') return configured;
  return exists(join(EDGE_HOST_MOUNT, 'proc')) ? EDGE_HOST_MOUNT : configured;
}
