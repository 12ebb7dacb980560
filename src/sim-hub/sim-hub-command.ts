/** `iot-micro-agent sim-hub [--port N] [--service-port N] [--devices N] [--state-dir DIR] [--device ID] [--host H] [--hub-name NAME] [--console-token TOKEN]`. */
import type { Logger } from 'pino';
import { consoleTokenProblem } from './console/console-access.js';
import { DEFAULT_MODULE_ID } from './module-identities.js';
import { SimulatedHub, type SimHubOptions } from './simulated-hub.js';

const USAGE = 'usage: sim-hub [--port N] [--service-port N] [--devices N] [--state-dir DIR] [--device ID] [--host H] [--hub-name NAME] [--console-token TOKEN]';
/** `--devices` seeds a registry to try the fleet commands on; a million is far beyond any test or benchmark. */
const MAX_SEEDED_DEVICES = 1_000_000;

interface CommandArgs {
  options: SimHubOptions;
  deviceId: string;
  devices: number;
}

function portOption(text: string, name: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`${name} must be 0..65535; ${USAGE}`);
  return port;
}

export function parseSimHubArgs(argv: string[]): CommandArgs {
  const options: SimHubOptions = {};
  let deviceId = 'sim-device';
  let devices = 0;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] ?? '';
    const [name, inline] = flag.includes('=') ? [flag.slice(0, flag.indexOf('=')), flag.slice(flag.indexOf('=') + 1)] : [flag, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') throw new Error(`${name} needs a value; ${USAGE}`);
      return v;
    };
    switch (name) {
      case '--port': options.port = portOption(value(), name); break;
      case '--service-port': options.servicePort = portOption(value(), name); break;
      case '--devices': {
        devices = Number(value());
        if (!Number.isInteger(devices) || devices < 0 || devices > MAX_SEEDED_DEVICES) {
          throw new Error(`--devices must be 0..${MAX_SEEDED_DEVICES}; ${USAGE}`);
        }
        break;
      }
      case '--state-dir': options.stateDir = value(); break;
      case '--device': deviceId = value(); break;
      case '--host': options.host = value(); break;
      case '--hub-name': options.hubName = value(); break;
      case '--console-token': {
        options.consoleToken = value();
        const problem = consoleTokenProblem(options.consoleToken);
        if (problem) throw new Error(`${problem}; ${USAGE}`);
        break;
      }
      default: throw new Error(`unknown argument '${flag}'; ${USAGE}`);
    }
  }
  return { options, deviceId, devices };
}

/** Starts the hub, creates the module for the device and prints ONE JSON line describing how to connect. */
export async function startSimHubCommand(argv: string[], out: NodeJS.WritableStream, log?: Logger): Promise<SimulatedHub> {
  const { options, deviceId, devices } = parseSimHubArgs(argv);
  const hub = await SimulatedHub.start(log ? { ...options, log } : options);
  try {
    const identity = hub.createModule(deviceId, DEFAULT_MODULE_ID);
    hub.service.seedDevices(devices);
    const line = {
      host: hub.host,
      port: hub.port,
      caFile: hub.caFile,
      hubName: hub.hubName,
      deviceId: identity.deviceId,
      moduleId: identity.moduleId,
      connectionString: identity.connectionString,
      servicePort: hub.servicePort,
      serviceConnectionString: hub.serviceConnectionString,
      devices,
      consoleUrl: hub.consoleUrl,
    };
    out.write(JSON.stringify(line) + '\n');
    return hub;
  } catch (err) {
    await hub.stop();
    throw err;
  }
}
