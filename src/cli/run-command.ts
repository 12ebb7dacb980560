/** `iot-micro-agent run`: the agent as a service, configured by the local config file. */
import { readFile } from 'node:fs/promises';
import { MicroAgent } from '../agent.js';
import { loadLocalConfig } from '../config/local-config.js';
import { UserInputError, errorMessage } from '../errors.js';
import { loadConnectionString } from '../hub/connection-string.js';
import { createLogger } from '../log.js';
import { parseOptions, stringOption } from './options.js';

export async function runCommand(args: string[]): Promise<number> {
  const { values } = parseOptions(args, { config: { type: 'string', short: 'c' } });
  const config = await loadLocalConfig(stringOption(values, 'config'));
  const cs = await loadConnectionString(config.connectionStringFile);
  let ca: string | undefined;
  if (config.trustedCaFile !== undefined) {
    try {
      ca = await readFile(config.trustedCaFile, 'utf8');
    } catch (err) {
      throw new UserInputError(`trusted CA file ${config.trustedCaFile} cannot be read: ${errorMessage(err)}`);
    }
    if (!ca.includes('-----BEGIN CERTIFICATE-----')) throw new UserInputError(`trusted CA file ${config.trustedCaFile} holds no PEM certificate`);
  }
  const log = createLogger({ level: config.logLevel });
  const agent = new MicroAgent({
    connectionString: cs, transport: config.transport, stateDir: config.stateDir, hostRoot: config.hostRoot,
    log, twinDefaults: config.twinDefaults, outboxMaxBytes: config.outboxMaxBytes, ...(ca !== undefined ? { ca } : {}),
  });
  await agent.start();
  await waitForSignal();
  log.info('stopping');
  await agent.stop();
  return 0;
}

/** Resolves on the first SIGINT or SIGTERM; a second one exits at once. */
export function waitForSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const keepAlive = setInterval(() => undefined, 1 << 30);
    const onSignal = (signal: NodeJS.Signals): void => {
      clearInterval(keepAlive);
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
      process.once('SIGINT', () => process.exit(130));
      process.once('SIGTERM', () => process.exit(143));
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
