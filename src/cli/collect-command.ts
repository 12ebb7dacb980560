/** `iot-micro-agent collect <collector> --once`: what a collector sees now, as JSON lines. */
import { snapshotBaseline } from '../../collectors/baseline/index.js';
import { snapshotHardware } from '../../collectors/connected-hardware/index.js';
import { toPayloadItem as hardwareItem } from '../../collectors/connected-hardware/sysfs-devices.js';
import { readSocketsOnce } from '../../collectors/connection/index.js';
import { snapshotFirewall } from '../../collectors/firewall/index.js';
import { readLocalUsers } from '../../collectors/local-users/index.js';
import { toPayloadItem as userItem } from '../../collectors/local-users/parse.js';
import { snapshotLogins } from '../../collectors/login/index.js';
import { snapshotProcesses } from '../../collectors/process/index.js';
import { readHostFacts } from '../../collectors/system-information/index.js';
import { systemInformationPayload } from '../../collectors/system-information/parse.js';
import { agentVersion } from '../agent-identity.js';
import { sbomItems } from './sbom-command.js';
import { mkdtemp, stat } from 'node:fs/promises';
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
  baseline: (hostRoot) => snapshotBaseline(hostRoot),
  users: async (hostRoot) => (await readLocalUsers(hostRoot)).map((u) => userItem(u)),
  // Rules live in the kernel, not in files: --host-root does not apply.
  firewall: () => snapshotFirewall(),
  hardware: async (hostRoot) => snapshotHardware(hostRoot).map((d) => hardwareItem(d)),
  'system-information': async (hostRoot) => [systemInformationPayload(await readHostFacts(undefined, hostRoot), {}, agentVersion())],
};

export async function collectCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseOptions(args, { once: { type: 'boolean' }, 'host-root': { type: 'string' } });
  const [name, ...extra] = positionals;
  const names = Object.keys(SNAPSHOTS).join('|');
  if (name === undefined || extra.length > 0) throw new UserInputError(`usage: iot-micro-agent collect <${names}> --once`);
  const snapshot = Object.hasOwn(SNAPSHOTS, name) ? SNAPSHOTS[name] : undefined;
  if (!snapshot) throw new UserInputError(`unknown collector ${JSON.stringify(name.slice(0, 40))}; choose one of ${names}`);
  if (values.once !== true) throw new UserInputError('only --once is supported: collect prints one snapshot and exits');
  const hostRoot = stringOption(values, 'host-root') ?? '/';
  if (!(await stat(hostRoot).then((s) => s.isDirectory(), () => false))) throw new UserInputError(`--host-root ${JSON.stringify(hostRoot.slice(0, 200))} is not a directory`);
  for (const record of await snapshot(hostRoot)) process.stdout.write(`${JSON.stringify(record)}\n`);
  return 0;
}
