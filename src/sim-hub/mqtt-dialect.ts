/** IoT Hub's MQTT topics for module identities: parsing what clients publish, building what the hub sends. */

/** 256 KB per device-to-cloud message, body plus property names and values. */
export const MESSAGE_SIZE_LIMIT = 256 * 1024;
export const MAX_SUBSCRIPTIONS = 5;

export const TWIN_RESPONSE_FILTER = '$iothub/twin/res/#';
export const DESIRED_PATCH_FILTER = '$iothub/twin/PATCH/properties/desired/#';
export const METHOD_REQUEST_FILTER = '$iothub/methods/POST/#';

export type ClientPublish =
  | { kind: 'telemetry'; properties: Record<string, string> }
  | { kind: 'twin-get'; rid: string }
  | { kind: 'twin-patch-reported'; rid: string }
  | { kind: 'method-response'; rid: string; status: number }
  | { kind: 'forbidden'; reason: string };

/** Classifies a client PUBLISH; a module may only publish to its own topics and the `$iothub` request topics. */
export function classifyPublish(topic: string, deviceId: string, moduleId: string): ClientPublish {
  const events = `devices/${deviceId}/modules/${moduleId}/messages/events/`;
  if (topic.startsWith(events)) {
    const properties = parsePropertyBag(topic.slice(events.length));
    return properties ? { kind: 'telemetry', properties } : { kind: 'forbidden', reason: 'malformed property bag' };
  }
  if (topic === events.slice(0, -1)) return { kind: 'telemetry', properties: {} };
  const [path, query = ''] = splitQuery(topic);
  const params = new URLSearchParams(query);
  const rid = params.get('$rid');
  if (path === '$iothub/twin/GET/' && rid) return { kind: 'twin-get', rid };
  if (path === '$iothub/twin/PATCH/properties/reported/' && rid) return { kind: 'twin-patch-reported', rid };
  const method = /^\$iothub\/methods\/res\/(\d{3})\/$/.exec(path);
  if (method?.[1] && rid) return { kind: 'method-response', rid, status: Number(method[1]) };
  return { kind: 'forbidden', reason: `publishing to '${topic}' is not allowed for ${deviceId}/${moduleId}` };
}

function splitQuery(topic: string): [string, string | undefined] {
  const q = topic.indexOf('?');
  return q === -1 ? [topic, undefined] : [topic.slice(0, q), topic.slice(q + 1)];
}

/** URL-decodes `k=v&k2=v2` (the SDK percent-encodes `$` as `%24`); a trailing `/` is the SDK's output-message quirk. */
export function parsePropertyBag(bag: string): Record<string, string> | undefined {
  const properties: Record<string, string> = {};
  const trimmed = bag.endsWith('/') ? bag.slice(0, -1) : bag;
  if (trimmed === '') return properties;
  for (const pair of trimmed.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const rawKey = eq === -1 ? pair : pair.slice(0, eq);
    const rawValue = eq === -1 ? '' : pair.slice(eq + 1);
    try {
      properties[decodeURIComponent(rawKey)] = decodeURIComponent(rawValue);
    } catch {
      return undefined;
    }
  }
  return properties;
}

/** The size IoT Hub counts against the 256 KB limit. */
export function messageSize(body: Buffer, properties: Record<string, string>): number {
  let size = body.length;
  for (const [key, value] of Object.entries(properties)) size += Buffer.byteLength(key) + Buffer.byteLength(value);
  return size;
}

/** The filters a module may subscribe to; anything else is refused (SUBACK 0x80). */
export function isAllowedSubscription(filter: string, deviceId: string, moduleId: string): boolean {
  return filter === TWIN_RESPONSE_FILTER || filter === DESIRED_PATCH_FILTER || filter === METHOD_REQUEST_FILTER
    || filter === `devices/${deviceId}/modules/${moduleId}/inputs/#`;
}

/** MQTT topic-filter matching with `+` and `#`. */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    const level = f[i];
    if (level === '#') return true;
    if (i >= t.length) return false;
    if (level !== '+' && level !== t[i]) return false;
  }
  return f.length === t.length;
}

export function twinResponseTopic(status: number, rid: string, version?: number): string {
  return `$iothub/twin/res/${status}/?$rid=${rid}` + (version === undefined ? '' : `&$version=${version}`);
}

export function desiredPatchTopic(version: number): string {
  return `$iothub/twin/PATCH/properties/desired/?$version=${version}`;
}

export function methodRequestTopic(name: string, rid: string): string {
  return `$iothub/methods/POST/${name}/?$rid=${rid}`;
}

/** Error bodies are always JSON with an errorCode: the SDK turns only those into errors (gotcha 4). */
export function errorBody(errorCode: number, message: string): Buffer {
  return Buffer.from(JSON.stringify({ errorCode, message }));
}
