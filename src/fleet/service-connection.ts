/** A hub policy's connection string (the service side), where to reach the hub, and the SAS token for it. */
import { readFile } from 'node:fs/promises';
import commonPkg from 'azure-iot-common';
import { UserInputError } from '../errors.js';

const { SharedAccessSignature } = commonPkg;

export interface ServiceConnection {
  /** HostName: the hub's name, the SAS token's resource */
  hubName: string;
  policyName: string;
  key: string;
  /** where HTTPS requests go: GatewayHostName when given (a gateway or the simulated hub), else HostName */
  host: string;
  port: number;
}

const TOKEN_TTL_SECONDS = 3600;

/** Parses `HostName=..;SharedAccessKeyName=..;SharedAccessKey=..[;GatewayHostName=host:port]`; one-line errors. */
export function parseServiceConnectionString(text: string): ServiceConnection {
  const fields = new Map<string, string>();
  for (const part of text.trim().split(';')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0) throw new UserInputError('the hub connection string is malformed (expected Key=Value pairs separated by ;)');
    fields.set(part.slice(0, eq), part.slice(eq + 1));
  }
  if (fields.has('DeviceId')) {
    throw new UserInputError('that is a device or module connection string; the hub commands need a hub policy\'s (HostName=...;SharedAccessKeyName=...;SharedAccessKey=...)');
  }
  const hubName = fields.get('HostName');
  const policyName = fields.get('SharedAccessKeyName');
  const key = fields.get('SharedAccessKey');
  if (!hubName || !policyName || !key) {
    throw new UserInputError('the hub connection string needs HostName, SharedAccessKeyName and SharedAccessKey');
  }
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(key)) throw new UserInputError('the hub connection string\'s SharedAccessKey is not base64');
  const gateway = fields.get('GatewayHostName') ?? hubName;
  const m = /^([^:\s]+)(?::(\d{1,5}))?$/.exec(gateway);
  const port = m?.[2] === undefined ? 443 : Number(m[2]);
  if (!m || port < 1 || port > 65535) throw new UserInputError(`the hub connection string's host '${gateway.slice(0, 80)}' is not host[:port]`);
  return { hubName, policyName, key, host: m[1] ?? gateway, port };
}

/** A service SAS token for the hub (resource = HostName, skn = the policy), valid for an hour. */
export function serviceToken(connection: ServiceConnection, nowMs = Date.now()): string {
  const expiry = Math.floor(nowMs / 1000) + TOKEN_TTL_SECONDS;
  return SharedAccessSignature.create(connection.hubName, connection.policyName, connection.key, expiry).toString();
}

/** From --hub-connection-string-file, else IOT_HUB_CONNECTION_STRING. */
export async function loadServiceConnection(file: string | undefined, env: NodeJS.ProcessEnv): Promise<ServiceConnection> {
  if (file !== undefined) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      throw new UserInputError(`cannot read the hub connection string file ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    return parseServiceConnectionString(text);
  }
  const fromEnv = env['IOT_HUB_CONNECTION_STRING'];
  if (fromEnv === undefined || fromEnv.trim() === '') {
    throw new UserInputError('no hub connection string: set IOT_HUB_CONNECTION_STRING or pass --hub-connection-string-file FILE');
  }
  return parseServiceConnectionString(fromEnv);
}
