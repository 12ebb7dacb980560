/** `iot-micro-agent hub create-module|verify|configure`: the module's portal workflow as commands on the service API. */
import { readFile } from 'node:fs/promises';
import { parseDuration, parseOptions, stringOption } from '../cli/options.js';
import { AgentError, UserInputError } from '../errors.js';
import { redactText } from '../log.js';
import { configureModules } from './configure-modules.js';
import { createModules, type FleetTarget } from './create-modules.js';
import { desiredFromFile, desiredFromSets, invalidKeys } from './desired-input.js';
import { printConfigure, printCreate, printVerify, type Output } from './fleet-output.js';
import { DEFAULT_MODULE_ID } from './module-id.js';
import { moduleStatuses, summarize } from './module-status.js';
import { Progress, formatDuration } from './progress.js';
import { RegistryClient, type Doc } from './registry-client.js';
import { ServiceClient } from './service-client.js';
import { loadServiceConnection } from './service-connection.js';

const USAGE = `usage:
  iot-micro-agent hub create-module (--device ID | --all-devices [--query "WHERE ..."]) [--desired FILE]
  iot-micro-agent hub verify (--device ID | --all-devices [--query "WHERE ..."])
  iot-micro-agent hub configure (--device ID | --all-devices [--query ...]) (--set KEY=VALUE ... | --file FILE) [--wait 60s] [--no-validate]
options: [--module-id ID] [--hub-connection-string-file FILE] [--trusted-ca-file FILE] [--json]
the hub connection string (a policy with registry write and service connect) comes from IOT_HUB_CONNECTION_STRING or the file`;

const OPTIONS = {
  device: { type: 'string' },
  'all-devices': { type: 'boolean' },
  query: { type: 'string' },
  'module-id': { type: 'string' },
  'hub-connection-string-file': { type: 'string' },
  'trusted-ca-file': { type: 'string' },
  json: { type: 'boolean' },
  desired: { type: 'string' },
  set: { type: 'string', multiple: true },
  file: { type: 'string' },
  wait: { type: 'string' },
  'no-validate': { type: 'boolean' },
  help: { type: 'boolean' },
} as const;

export interface HubCommandIo {
  out: NodeJS.WritableStream;
  err: NodeJS.WriteStream | NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

function targetOf(values: Record<string, unknown>): FleetTarget {
  const device = values['device'];
  const all = values['all-devices'] === true;
  if ((typeof device === 'string') === all) throw new UserInputError(`give exactly one of --device ID or --all-devices\n${USAGE}`);
  if (typeof device === 'string') {
    if (values['query'] !== undefined) throw new UserInputError('--query goes with --all-devices');
    return { deviceId: device };
  }
  const query = values['query'];
  return { where: typeof query === 'string' ? query : undefined };
}

/** Refuses an invalid document with every invalid key, before anything reaches the hub. */
function checkDesired(desired: Doc, what: string): void {
  const invalid = invalidKeys(desired);
  if (invalid.length === 0) return;
  const list = invalid.map((k) => `${k.key === '' ? '(document)' : k.key}: ${k.reason}`).join('; ');
  throw new UserInputError(`${what} is invalid, nothing was sent to the hub: ${list}`);
}

export async function hubCommand(args: string[], io: HubCommandIo = { out: process.stdout, err: process.stderr, env: process.env }): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === '--help' || sub === 'help') {
    io.out.write(`${USAGE}\n`);
    return sub === undefined ? 2 : 0;
  }
  if (!['create-module', 'verify', 'configure'].includes(sub)) throw new UserInputError(`unknown hub command ${JSON.stringify(sub.slice(0, 40))}\n${USAGE}`);
  const { values, positionals } = parseOptions(rest, OPTIONS);
  if (values['help'] === true) {
    io.out.write(`${USAGE}\n`);
    return 0;
  }
  if (positionals.length > 0) throw new UserInputError(`unexpected argument ${JSON.stringify(positionals[0]?.slice(0, 40))}\n${USAGE}`);
  const target = targetOf(values);
  const moduleId = stringOption(values, 'module-id') ?? DEFAULT_MODULE_ID;
  const json = values['json'] === true;
  const allowed: Record<string, string[]> = {
    'create-module': ['desired'], verify: [], configure: ['set', 'file', 'wait', 'no-validate'],
  };
  for (const name of ['desired', 'set', 'file', 'wait', 'no-validate']) {
    if (values[name] !== undefined && !allowed[sub]?.includes(name)) throw new UserInputError(`--${name} does not go with hub ${sub}`);
  }

  // Local checks first: a bad document never reaches the hub.
  let desired: Doc | undefined;
  let waitMs: number | undefined;
  if (sub === 'create-module' && stringOption(values, 'desired') !== undefined) {
    desired = await desiredFromFile(stringOption(values, 'desired') ?? '');
    checkDesired(desired, `--desired ${stringOption(values, 'desired') ?? ''}`);
  }
  if (sub === 'configure') {
    const sets = values['set'];
    const file = stringOption(values, 'file');
    if ((sets === undefined) === (file === undefined)) throw new UserInputError(`configure takes --set KEY=VALUE ... or --file FILE\n${USAGE}`);
    desired = file !== undefined ? await desiredFromFile(file) : desiredFromSets(Array.isArray(sets) ? sets.map(String) : []);
    if (Object.keys(desired).length === 0) throw new UserInputError('the desired document is empty: nothing to configure');
    if (values['no-validate'] !== true) checkDesired(desired, file ?? 'the --set values');
    const wait = stringOption(values, 'wait');
    if (wait !== undefined) waitMs = parseDuration(wait, '--wait');
  }

  const connection = await loadServiceConnection(stringOption(values, 'hub-connection-string-file'), io.env);
  const caFile = stringOption(values, 'trusted-ca-file');
  let trustedCa: string | undefined;
  if (caFile !== undefined) {
    try {
      trustedCa = await readFile(caFile, 'utf8');
    } catch (err) {
      throw new UserInputError(`cannot read --trusted-ca-file ${caFile}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    }
  }
  const progress = new Progress(sub === 'configure' ? 'configured' : 'created', io.err);
  const tty = (io.err as NodeJS.WriteStream).isTTY === true;
  const service = new ServiceClient({
    connection, ...(trustedCa ? { trustedCa } : {}),
    onThrottled: (ms) => {
      const note = `throttled by the hub, waiting ${formatDuration(ms)}`;
      if (tty) progress.setNote(note);
      else io.err.write(`${note}\n`);
    },
  });
  const registry = new RegistryClient(service);
  const started = Date.now();
  const out: Output = { out: io.out, json, hubName: connection.hubName, moduleId, registry, started };
  try {
    if (sub === 'create-module') {
      const result = await createModules({ registry, moduleId, target, progress, ...(desired ? { desired } : {}) });
      printCreate(out, result);
      return result.failed.length === 0 ? 0 : 1;
    }
    if (sub === 'verify') {
      const statuses = await moduleStatuses(registry, moduleId, target);
      printVerify(out, statuses, summarize(statuses), 'deviceId' in target);
      return statuses.length > 0 && statuses.every((s) => s.exists) ? 0 : 1;
    }
    const outcomes = await configureModules({
      registry, moduleId, target, desired: desired ?? {}, progress, ...(waitMs === undefined ? {} : { waitMs }),
    });
    printConfigure(out, outcomes, 'deviceId' in target);
    if (outcomes.some((o) => o.state === 'failed' || o.state === 'error' || o.state === 'missing')) return 1;
    if (outcomes.some((o) => o.state === 'timeout')) return 3;
    return 0;
  } catch (err) {
    // The hub answered with an error or could not be reached: one line, not a stack trace.
    if (!(err instanceof AgentError) || err instanceof UserInputError) throw err;
    io.err.write(`iot-micro-agent hub ${sub}: ${redactText(err.message)}\n`);
    return 1;
  } finally {
    service.close();
  }
}
