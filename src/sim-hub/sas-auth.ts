/** IoT Hub SAS tokens and the MQTT CONNECT identity check for module identities. */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** CONNACK return codes the hub uses to refuse a connection. */
export const CONNACK_BAD_CREDENTIALS = 4;
export const CONNACK_NOT_AUTHORIZED = 5;

export interface ModuleAddress {
  deviceId: string;
  moduleId: string;
}

/** Like the SDK's encodeURIComponentStrict: also escapes !'()* so both sides sign the same bytes. */
export function encodeUriStrict(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

export function moduleResource(hubName: string, deviceId: string, moduleId: string): string {
  return `${hubName}/devices/${deviceId}/modules/${moduleId}`;
}

function sign(resource: string, expiry: number, keyBase64: string): string {
  return createHmac('sha256', Buffer.from(keyBase64, 'base64'))
    .update(encodeUriStrict(resource) + '\n' + String(expiry))
    .digest('base64');
}

/** True when the token was signed with `keyBase64` (constant-time comparison). */
export function signatureMatches(token: SasToken, keyBase64: string): boolean {
  const want = Buffer.from(sign(token.resource, token.expiry, keyBase64), 'base64');
  const got = Buffer.from(token.signature, 'base64');
  return want.length === got.length && timingSafeEqual(want, got);
}

/** Builds a token exactly as the SDK does (sr, sig, se), for tests and tools. */
export function createSasToken(resource: string, keyBase64: string, expiry: number): string {
  const sig = sign(resource, expiry, keyBase64);
  return `SharedAccessSignature sr=${encodeUriStrict(resource)}&sig=${encodeUriStrict(sig)}&se=${expiry}`;
}

export interface SasToken {
  resource: string;
  signature: string;
  expiry: number;
  keyName?: string;
}

export function parseSasToken(token: string): SasToken | undefined {
  const prefix = 'SharedAccessSignature ';
  if (!token.startsWith(prefix)) return undefined;
  const fields = new Map<string, string>();
  for (const part of token.slice(prefix.length).split('&')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return undefined;
    try {
      fields.set(part.slice(0, eq), decodeURIComponent(part.slice(eq + 1)));
    } catch {
      return undefined;
    }
  }
  const resource = fields.get('sr');
  const signature = fields.get('sig');
  const expiry = Number(fields.get('se'));
  if (resource === undefined || signature === undefined || !Number.isInteger(expiry)) return undefined;
  const keyName = fields.get('skn');
  return keyName === undefined ? { resource, signature, expiry } : { resource, signature, expiry, keyName };
}

export type AuthVerdict =
  | { ok: true; address: ModuleAddress }
  | { ok: false; returnCode: number; reason: string };

export interface ConnectCredentials {
  clientId: string;
  username: string | undefined;
  password: Buffer | undefined;
}

/**
 * Checks clientId `device/module`, username `{hub}/{device}/{module}/?api-version=...` and the SAS password
 * against the module key; `lookupKey` answers undefined for an unknown identity.
 */
export function verifyModuleConnect(
  creds: ConnectCredentials,
  hubName: string,
  lookupKey: (address: ModuleAddress) => string | undefined,
  nowSeconds: number,
): AuthVerdict {
  const slash = creds.clientId.indexOf('/');
  if (slash <= 0 || slash === creds.clientId.length - 1 || creds.clientId.indexOf('/', slash + 1) !== -1) {
    return { ok: false, returnCode: CONNACK_BAD_CREDENTIALS, reason: 'clientId must be device/module' };
  }
  const address = { deviceId: creds.clientId.slice(0, slash), moduleId: creds.clientId.slice(slash + 1) };
  const expectedUser = `${hubName}/${address.deviceId}/${address.moduleId}/?`;
  const username = creds.username ?? '';
  if (!username.toLowerCase().startsWith(expectedUser.toLowerCase()) || !/[?&]api-version=[^&]+/.test(username)) {
    return { ok: false, returnCode: CONNACK_BAD_CREDENTIALS, reason: 'username does not match hub/device/module/?api-version=' };
  }
  const token = creds.password ? parseSasToken(creds.password.toString('utf8')) : undefined;
  if (!token) return { ok: false, returnCode: CONNACK_BAD_CREDENTIALS, reason: 'password is not a SharedAccessSignature' };
  const key = lookupKey(address);
  if (key === undefined) return { ok: false, returnCode: CONNACK_NOT_AUTHORIZED, reason: 'unknown module identity' };
  // Module identities authenticate with their own key; hub policy keys (skn) are not simulated.
  if (token.keyName !== undefined) return { ok: false, returnCode: CONNACK_NOT_AUTHORIZED, reason: 'policy keys are not supported' };
  const expected = moduleResource(hubName, address.deviceId, address.moduleId);
  if (token.resource.toLowerCase() !== expected.toLowerCase()) {
    return { ok: false, returnCode: CONNACK_NOT_AUTHORIZED, reason: 'token resource does not match the module' };
  }
  if (token.expiry <= nowSeconds) return { ok: false, returnCode: CONNACK_NOT_AUTHORIZED, reason: 'token expired' };
  if (!signatureMatches(token, key)) {
    return { ok: false, returnCode: CONNACK_NOT_AUTHORIZED, reason: 'signature mismatch' };
  }
  return { ok: true, address };
}
