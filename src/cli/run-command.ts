/**
 * `iot-micro-agent run`: the agent as a service, configured by the local config file.
 * Exit codes: 0 stopped cleanly, 2 configuration error (systemd does not restart), 1 anything else.
 * SIGTERM/SIGINT flush and stop; SIGHUP re-reads the config file and keeps the old one when the new one is bad.
 */
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { MicroAgent } from '../agent.js';
import { createTunedAgent } from '../tuned-agent.js';
import { collectAfterLargeSends } from './memory-release.js';
import { boundKey, toDesiredRecord, validateDesired } from '../config/index.js';
import { loadLocalConfig, type LocalConfig } from '../config/local-config.js';
import { UserInputError, errorMessage } from '../errors.js';
import { loadConnectionString, type ModuleConnectionString } from '../hub/connection-string.js';
import { edgeClientSource, upstreamRoute } from '../edge/edge-client.js';
import { edgeHostRoot, readEdgeEnvironment, type EdgeEnvironment } from '../edge/edge-environment.js';
import { createLogger } from '../log.js';
import { parseOptions, stringOption } from './options.js';
import { ServiceSignals } from './service-signals.js';

/** Past this, a stop that has not finished is abandoned with exit 1 (systemd's TimeoutStopSec is 20 s). */
const STOP_DEADLINE_MS = 15_000;

/** Everything the agent is started with, read and checked before anything starts. */
export interface RunSettings {
  readonly config: LocalConfig;
  /** Exactly one of the two: a connection string, or (as an IoT Edge module) the Edge environment. */
  readonly cs?: ModuleConnectionString;
  readonly edge?: EdgeEnvironment;
  readonly ca?: string;
}

export async function runCommand(args: string[]): Promise<number> {
  const { values } = parseOptions(args, { config: { type: 'string', short: 'c' } });
  const configFile = stringOption(values, 'config');
  let settings = await loadRunSettings(configFile);
  const log = createLogger({ level: settings.config.logLevel });
  const signals = new ServiceSignals();
  let agent = createAgent(settings, log);
  try {
    await agent.start();
    for (let signal = await signals.next(); signal === 'SIGHUP'; signal = await signals.next()) {
      let next: RunSettings;
      try {
        next = await loadRunSettings(configFile);
      } catch (err) {
        log.error({ reason: errorMessage(err) }, 'configuration reload refused; the running configuration stays');
        continue;
      }
      log.level = next.config.logLevel;
      if (sameAgentSettings(settings, next)) {
        log.info({ logLevel: next.config.logLevel }, 'configuration reloaded');
      } else {
        log.info('configuration reloaded; restarting the agent with it');
        await agent.stop();
        agent = createAgent(next, log);
        await agent.start();
      }
      settings = next;
    }
    signals.stopRequested();
    log.info('stopping');
    await withDeadline(agent.stop(), STOP_DEADLINE_MS);
    return 0;
  } finally {
    signals.close();
  }
}

/** The config file, the connection string (checked for exposure) and the CA file; UserInputError on any problem. */
export async function loadRunSettings(configFile: string | undefined): Promise<RunSettings> {
  const config = await loadLocalConfig(configFile);
  const defaults = validateDesired(toDesiredRecord(config.twinDefaults) ?? {});
  if (!defaults.valid) throw new UserInputError(`twinDefaults: ${defaults.reasons.map((p) => `${boundKey(p.key)}: ${p.reason}`).join('; ')}`);
  // Under IoT Edge the module's identity comes from edgeAgent; its default host root is the mounted host.
  const edge = readEdgeEnvironment();
  if (edge !== undefined) return { config: { ...config, hostRoot: edgeHostRoot(config.hostRoot) }, edge };
  const cs = await loadConnectionString(config.connectionStringFile);
  if (config.trustedCaFile === undefined) return { config, cs };
  let ca: string;
  try {
    ca = await readFile(config.trustedCaFile, 'utf8');
  } catch (err) {
    throw new UserInputError(`trusted CA file ${config.trustedCaFile} cannot be read: ${errorMessage(err)}`);
  }
  if (!ca.includes('-----BEGIN CERTIFICATE-----')) throw new UserInputError(`trusted CA file ${config.trustedCaFile} holds no PEM certificate`);
  return { config, cs, ca };
}

function createAgent({ config, cs, edge, ca }: RunSettings, log: Logger): MicroAgent {
  if (edge !== undefined) {
    log.info({ hostRoot: config.hostRoot, route: upstreamRoute(edge.address.moduleId) }, 'running as an IoT Edge module; the deployment needs this route');
  }
  const agent = createTunedAgent({
    ...(edge !== undefined ? { clientSource: edgeClientSource(edge) } : {}), ...(cs !== undefined ? { connectionString: cs.raw } : {}),
    transport: config.transport, stateDir: config.stateDir, hostRoot: config.hostRoot,
    log, twinDefaults: config.twinDefaults, outboxMaxBytes: config.outboxMaxBytes, ...(ca !== undefined ? { ca } : {}),
  });
  collectAfterLargeSends(agent);
  return agent;
}

/** True when only the log level differs: that applies without restarting the agent. */
function sameAgentSettings(a: RunSettings, b: RunSettings): boolean {
  const withoutLevel = (s: RunSettings): string => JSON.stringify([{ ...s.config, logLevel: undefined }, s.cs?.raw ?? null, s.edge ?? null, s.ca ?? null]);
  return withoutLevel(a) === withoutLevel(b);
}

async function withDeadline(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`the agent did not stop within ${ms / 1000} s`)), ms);
  });
  try {
    await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
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
