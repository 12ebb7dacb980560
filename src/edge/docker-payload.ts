/** Narrowing of the Docker Engine API's JSON (and of manifest JSON): unknown in, typed fields out, nothing thrown. */

export type JsonObject = Readonly<Record<string, unknown>>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function objectField(obj: unknown, key: string): JsonObject | undefined {
  if (!isObject(obj)) return undefined;
  const v = obj[key];
  return isObject(v) ? v : undefined;
}

export function stringField(obj: unknown, key: string): string | undefined {
  if (!isObject(obj)) return undefined;
  const v = obj[key];
  return typeof v === 'string' ? v : undefined;
}

export function numberField(obj: unknown, key: string): number | undefined {
  if (!isObject(obj)) return undefined;
  const v = obj[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export function stringList(obj: unknown, key: string): string[] {
  if (!isObject(obj)) return [];
  const v = obj[key];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

export function stringMap(obj: unknown, key: string): Record<string, string> {
  const o = objectField(obj, key);
  const out: Record<string, string> = {};
  if (!o) return out;
  for (const [k, v] of Object.entries(o)) if (typeof v === 'string') out[k] = v;
  return out;
}

/** edgeAgent's labels on every module container (`InjectLabels` in CreateCommand.cs). */
export const EDGE_LABELS = {
  owner: 'net.azure-devices.edge.owner',
  version: 'net.azure-devices.edge.version',
  restartPolicy: 'net.azure-devices.edge.restartPolicy',
  desiredStatus: 'net.azure-devices.edge.desiredStatus',
  createOptions: 'net.azure-devices.edge.normalizedCreateOptions',
  configurationId: 'net.azure-devices.edge.configurationId',
} as const;

export const EDGE_OWNER = 'Microsoft.Azure.Devices.Edge.Agent';

/** The module name of an edgeAgent-owned container (its name without the leading `/`), or undefined. */
export function edgeModuleName(labels: Readonly<Record<string, string>>, containerName: string): string | undefined {
  return labels[EDGE_LABELS.owner] === EDGE_OWNER ? containerName.replace(/^\//, '') : undefined;
}
