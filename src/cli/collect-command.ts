/** `iot-micro-agent collect <collector> --once`: what a collector sees now, as JSON lines. */
import { readSocketsOnce } from '../../collectors/connection/index.js';
import { snapshotLogins } from '../../collectors/login/index.js';
import { snapshotProcesses } from '../../collectors/process/index.js';
import { sbomItems } from './sbom-command.js';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../clock.js';
import { silentLogger } from '../log.js';
import { UserInputError } from '../errors.js';
import { parseOptions, stringOption } from './options.js';

type Snapshot = (hostRoot: string) => Promise<readonly unknown[]>;

const SNAPSHOTS: Record<string, Snapshot> = {
  process: (hostRoot) => snapshotProcesses(hostRoot),
  login: async (hostRoot) =>
    snapshotLogins({ hostRoot, stateDir: await mkdtemp(join(tmpdir(), 'collect-login-')), settings: {}, clock: systemClock, log: silentLogger() }),
  connection: (hostRoot) => readSocketsOnce({ hostRoot }),
  sbom: (hostRoot) => sbomItems(hostRoot),
};

export async function collectCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseOptions(args, { once: { type: 'boolean' }, 'host-root': { type: 'string' } });
  const [name, ...extra] = positionals;
  const names = Object.keys(SNAPSHOTS).join('|');
  if (name === undefined || extra.length > 0) throw new UserInputError(`usage: iot-micro-agent collect <${names}> --once`);
  const snapshot = Object.hasOwn(SNAPSHOTS, name) ? SNAPSHOTS[name] : undefined;
  if (!snapshot) throw new UserInputError(`unknown collector ${JSON.stringify(name.slice(0, 40))}; choose one of ${names}`);
  if (values.once !== true) throw new UserInputError('only --once is supported: collect prints one snapshot and exits');
  for (const record of await snapshot(stringOption(values, 'host-root') ?? '/')) process.stdout.write(`${JSON.stringify(record)}\n`);
  return 0;
}
