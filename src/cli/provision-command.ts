/** `iot-micro-agent provision`: writes the module connection string where the service reads it, mode 0600, owned by the service user. */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { SERVICE_USER, loadLocalConfig } from '../config/local-config.js';
import { UserInputError, errorMessage } from '../errors.js';
import { parseConnectionString } from '../hub/connection-string.js';
import { parseOptions, stringOption } from './options.js';

/** A connection string is a few hundred bytes; this bounds a wrong file or a runaway pipe. */
const MAX_INPUT_BYTES = 16 * 1024;

export interface ServiceAccount {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

export async function provisionCommand(args: string[], stdin: NodeJS.ReadableStream = process.stdin): Promise<number> {
  const { values, positionals } = parseOptions(args, {
    from: { type: 'string' }, config: { type: 'string', short: 'c' }, output: { type: 'string', short: 'o' }, user: { type: 'string' },
  });
  if (positionals.length > 0) throw new UserInputError('usage: iot-micro-agent provision [--from FILE|-] [--config FILE] [--output FILE] [--user NAME]');
  const from = stringOption(values, 'from') ?? '-';
  const output = stringOption(values, 'output') ?? (await loadLocalConfig(stringOption(values, 'config'))).connectionStringFile;
  const account = await lookupAccount(stringOption(values, 'user') ?? SERVICE_USER);
  const euid = process.geteuid?.() ?? 0;
  if (euid !== 0 && euid !== account.uid) throw new UserInputError(`only root can write a file owned by ${account.name}: run it with sudo`);

  if (from === '-' && 'isTTY' in stdin && stdin.isTTY === true) process.stderr.write('paste the module connection string, then press Ctrl-D\n');
  const text = from === '-' ? await readBounded(stdin) : await readSource(from);
  let cs;
  try {
    cs = parseConnectionString(text);
  } catch (err) {
    throw new UserInputError(`${from === '-' ? 'standard input' : from}: ${errorMessage(err)}`);
  }
  await writeOwnerOnly(output, `${cs.raw}\n`, account);
  process.stdout.write(`wrote ${output} (mode 0600, owner ${account.name}) for device ${cs.deviceId}, module ${cs.moduleId}, hub ${cs.hostName}; `
    + 'apply it with: systemctl restart iot-micro-agent\n');
  return 0;
}

/** Writes a temporary file beside the target with mode 0600 and the right owner, then renames it over the target. */
async function writeOwnerOnly(path: string, text: string, account: ServiceAccount): Promise<void> {
  const tmp = `${path}.provision-${randomBytes(6).toString('hex')}`;
  try {
    await mkdir(dirname(path), { recursive: true, mode: 0o755 });
    const handle = await open(tmp, 'wx', 0o600);
    try {
      await handle.chmod(0o600);
      await handle.chown(account.uid, account.gid);
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw new UserInputError(`cannot write ${path}: ${errorMessage(err)}`);
  }
}

async function readSource(file: string): Promise<string> {
  try {
    const text = await readFile(file, 'utf8');
    if (Buffer.byteLength(text) > MAX_INPUT_BYTES) throw new UserInputError(`${file} is larger than ${MAX_INPUT_BYTES} bytes: not a connection string`);
    return text;
  } catch (err) {
    if (err instanceof UserInputError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserInputError(`${file} ${code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'is not readable (permission denied)' : errorMessage(err)}`);
  }
}

async function readBounded(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += buf.length;
    if (size > MAX_INPUT_BYTES) throw new UserInputError(`standard input is larger than ${MAX_INPUT_BYTES} bytes: not a connection string`);
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The service account from /etc/passwd (system accounts are local; NSS-only accounts are not supported). */
export async function lookupAccount(name: string, passwdFile = '/etc/passwd'): Promise<ServiceAccount> {
  let text: string;
  try {
    text = await readFile(passwdFile, 'utf8');
  } catch (err) {
    throw new UserInputError(`cannot read ${passwdFile} to find user ${name}: ${errorMessage(err)}`);
  }
  for (const line of text.split('\n')) {
    const [user, , uid, gid] = line.split(':');
    if (user === name && uid !== undefined && gid !== undefined && /^\d+$/.test(uid) && /^\d+$/.test(gid)) {
      return { name, uid: Number(uid), gid: Number(gid) };
    }
  }
  throw new UserInputError(`user ${JSON.stringify(name.slice(0, 40))} does not exist: install the package (it creates ${SERVICE_USER}) or pass --user`);
}
