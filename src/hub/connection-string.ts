/** Module connection strings: parse, check, and load from a file or the environment. */
import { open, type FileHandle } from 'node:fs/promises';
import { UserInputError, errorMessage } from '../errors.js';

export const CONNECTION_STRING_ENV = 'IOT_MICRO_AGENT_CONNECTION_STRING';

export interface ModuleConnectionString {
  readonly hostName: string;
  readonly deviceId: string;
  readonly moduleId: string;
  readonly sharedAccessKey: string;
  readonly gatewayHostName?: string;
  /** The original text, for the SDK. Never log it. */
  readonly raw: string;
}

const KNOWN = new Set(['HostName', 'DeviceId', 'ModuleId', 'SharedAccessKey', 'SharedAccessKeyName', 'GatewayHostName', 'x509']);

/** Throws UserInputError naming what is wrong, never quoting the key. */
export function parseConnectionString(text: string): ModuleConnectionString {
  const raw = text.trim();
  if (raw === '') throw new UserInputError('the connection string is empty');
  const fields = new Map<string, string>();
  for (const part of raw.split(';')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0) throw new UserInputError(`malformed connection string: part ${JSON.stringify(part.slice(0, 20))} is not key=value`);
    const key = part.slice(0, eq);
    if (!KNOWN.has(key)) throw new UserInputError(`malformed connection string: unknown key ${JSON.stringify(key.slice(0, 40))}`);
    fields.set(key, part.slice(eq + 1));
  }
  if (fields.get('x509') === 'true') {
    throw new UserInputError('X.509 connection strings (x509=true) are not supported yet: use the module\'s SharedAccessKey');
  }
  const need = (k: string): string => {
    const v = fields.get(k);
    if (v === undefined || v === '') throw new UserInputError(`malformed connection string: ${k} is missing`);
    return v;
  };
  const hostName = need('HostName');
  const deviceId = need('DeviceId');
  const moduleId = need('ModuleId');
  const sharedAccessKey = need('SharedAccessKey');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(sharedAccessKey) || sharedAccessKey.length % 4 === 1) {
    throw new UserInputError('malformed connection string: SharedAccessKey is not a base64 key');
  }
  const gateway = fields.get('GatewayHostName');
  return { hostName, deviceId, moduleId, sharedAccessKey, raw, ...(gateway ? { gatewayHostName: gateway } : {}) };
}

/** From the env var when set, else from the file. */
export async function loadConnectionString(file: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<ModuleConnectionString> {
  const fromEnv = env[CONNECTION_STRING_ENV];
  if (fromEnv !== undefined && fromEnv.trim() !== '') return parseConnectionString(fromEnv);
  if (file === undefined) {
    throw new UserInputError(`no connection string: set ${CONNECTION_STRING_ENV} or connectionStringFile in the config file`);
  }
  return readConnectionStringFile(file);
}

/** Reads and parses a connection string file, refusing one that others can read or write. */
export async function readConnectionStringFile(file: string): Promise<ModuleConnectionString> {
  let text: string;
  let handle: FileHandle | undefined;
  try {
    handle = await open(file, 'r');
    // Checked on the open descriptor, so the file judged is the file read.
    const exposure = exposureProblem(await handle.stat(), process.geteuid?.() ?? 0);
    if (exposure !== undefined) throw new UserInputError(`connection string file ${file} ${exposure}`);
    text = await handle.readFile('utf8');
  } catch (err) {
    if (err instanceof UserInputError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'is not readable (permission denied)' : code === 'EISDIR' ? 'is a directory' : errorMessage(err);
    throw new UserInputError(`connection string file ${file} ${why}`);
  } finally {
    await handle?.close();
  }
  try {
    return parseConnectionString(text);
  } catch (err) {
    throw new UserInputError(`${file}: ${errorMessage(err)}`);
  }
}

/**
 * Why a connection string file must not be trusted, or undefined: it must be a regular file that only
 * its owner can read or write, owned by the user the agent runs as or by root.
 */
export function exposureProblem(st: { mode: number; uid: number; isFile(): boolean; isDirectory(): boolean }, euid: number): string | undefined {
  if (st.isDirectory()) return 'is a directory';
  if (!st.isFile()) return 'is not a regular file';
  const mode = (st.mode & 0o777).toString(8).padStart(4, '0');
  if ((st.mode & 0o077) !== 0) return `is readable or writable by group or others (mode ${mode}): chmod 600 it, or write it with iot-micro-agent provision`;
  if (st.uid !== euid && st.uid !== 0) return `is owned by uid ${st.uid}, not by the agent's user (uid ${euid}) or root: chown it, or write it with iot-micro-agent provision`;
  return undefined;
}
