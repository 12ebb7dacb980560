/** The JSON shapes of IoT Hub's service API: device and module identities, module twins, errors. */
import type { IdentityRecord } from './module-identities.js';
import type { TwinDocument } from './twin-store.js';

/** A service API failure: HTTP status, the hub's error code name and a message. */
export class ServiceError extends Error {
  override readonly name = 'ServiceError';
  constructor(readonly status: number, readonly code: string, message: string, readonly retryAfterSeconds?: number) {
    super(message);
  }
}

/** IoT Hub's error body; azure-iothub reads `Message` as `ErrorCode:<code>;<message>`. */
export function errorBody(code: string, message: string): { Message: string; ExceptionMessage: string } {
  return { Message: `ErrorCode:${code};${message}`, ExceptionMessage: `Tracking ID:sim-hub-${code} TimeStamp:${new Date().toISOString()}` };
}

export interface Activity {
  connected: boolean;
  /** ISO time of the last connect, message or twin update; the hub's "never" otherwise */
  lastActivityTime: string;
  connectionStateUpdatedTime: string;
}

export const NEVER = '0001-01-01T00:00:00Z';

export function etagOf(...parts: (string | number)[]): string {
  return Buffer.from(parts.join(':')).toString('base64');
}

/** An If-Match value matches when absent, `*`, or equal to the etag with or without quotes. */
export function etagMatches(ifMatch: string | undefined, etag: string): boolean {
  if (ifMatch === undefined || ifMatch.trim() === '*') return true;
  return ifMatch.trim().replace(/^W\//, '').replace(/^"|"$/g, '') === etag;
}

function authentication(record: IdentityRecord): Record<string, unknown> {
  return {
    type: 'sas',
    symmetricKey: { primaryKey: record.primaryKey, secondaryKey: record.secondaryKey },
    x509Thumbprint: { primaryThumbprint: null, secondaryThumbprint: null },
  };
}

export function deviceJson(record: IdentityRecord, activity: Activity): Record<string, unknown> {
  return {
    deviceId: record.deviceId,
    generationId: record.generationId,
    etag: etagOf(record.generationId, record.revision),
    connectionState: activity.connected ? 'Connected' : 'Disconnected',
    status: 'enabled',
    statusReason: null,
    connectionStateUpdatedTime: activity.connectionStateUpdatedTime,
    statusUpdatedTime: NEVER,
    lastActivityTime: activity.lastActivityTime,
    cloudToDeviceMessageCount: 0,
    authentication: authentication(record),
    capabilities: { iotEdge: false },
  };
}

export function moduleJson(record: IdentityRecord, activity: Activity): Record<string, unknown> {
  return {
    moduleId: record.moduleId,
    managedBy: null,
    deviceId: record.deviceId,
    generationId: record.generationId,
    etag: etagOf(record.generationId, record.revision),
    connectionState: activity.connected ? 'Connected' : 'Disconnected',
    connectionStateUpdatedTime: activity.connectionStateUpdatedTime,
    lastActivityTime: activity.lastActivityTime,
    cloudToDeviceMessageCount: 0,
    authentication: authentication(record),
  };
}

export function twinEtag(record: IdentityRecord, versions: { desired: number; reported: number }): string {
  return etagOf(record.generationId, versions.desired, versions.reported);
}

/** A module twin as GET /twins/{d}/modules/{m} and queries over devices.modules return it. */
export function moduleTwinJson(
  record: IdentityRecord, device: IdentityRecord, twin: TwinDocument, versions: { desired: number; reported: number }, activity: Activity,
): Record<string, unknown> {
  return {
    deviceId: record.deviceId,
    moduleId: record.moduleId,
    etag: twinEtag(record, versions),
    deviceEtag: etagOf(device.generationId, device.revision),
    ...twinState(activity),
    version: versions.desired + versions.reported,
    properties: { desired: twin.desired, reported: twin.reported },
  };
}

/** A device twin as queries over devices return it (the simulated hub keeps no device twin properties). */
export function deviceTwinJson(record: IdentityRecord, activity: Activity): Record<string, unknown> {
  return {
    deviceId: record.deviceId,
    etag: etagOf(record.generationId, record.revision),
    deviceEtag: etagOf(record.generationId, record.revision),
    ...twinState(activity),
    version: 1,
    tags: {},
    properties: { desired: { $version: 1 }, reported: { $version: 1 } },
    capabilities: { iotEdge: false },
  };
}

/** What a device and a module twin both say of an identity's state in the simulated hub. */
function twinState(activity: Activity): Record<string, unknown> {
  return {
    status: 'enabled',
    statusUpdateTime: NEVER,
    connectionState: activity.connected ? 'Connected' : 'Disconnected',
    lastActivityTime: activity.lastActivityTime,
    cloudToDeviceMessageCount: 0,
    authenticationType: 'sas',
    x509Thumbprint: { primaryThumbprint: null, secondaryThumbprint: null },
  };
}
