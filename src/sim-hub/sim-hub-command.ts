/** `iot-micro-agent sim-hub [--port N] [--state-dir DIR] [--device ID] [--host H] [--hub-name NAME]`. */
import type { Logger } from 'pino';
import { DEFAULT_MODULE_ID } from './module-identities.js';
import { SimulatedHub, type SimHubOptions } from './simulated-hub.js';

const USAGE = 'usage: sim-hub [--port N] [--state-dir DIR] [--device ID] [--host H] [--hub-name NAME]';

interface CommandArgs {
  options: SimHubOptions;
  deviceId: string;
}

export function parseSimHubArgs(argv: string[]): CommandArgs {
  const options: SimHubOptions = {};
  let deviceId = 'sim-device';
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] ?? '';
    const [name, inline] = flag.includes('=') ? [flag.slice(0, flag.indexOf('=')), flag.slice(flag.indexOf('=') + 1)] : [flag, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') throw new Error(`${name} needs a value; ${USAGE}`);
      return v;
    };
    switch (name) {
      case '--port': {
        const port = Number(value());
        if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0..65535; ${USAGE}`);
        options.port = port;
        break;
      }
      case '--state-dir': options.stateDir = value(); break;
      case '--device': deviceId = value(); break;
      case '--host': options.host = value(); break;
      case '--hub-name': options.hubName = value(); break;
      default: throw new Error(`unknown argument '${flag}'; ${USAGE}`);
    }
  }
  return { options, deviceId };
}

/** Starts the hub, creates the module for the device and prints ONE JSON line describing how to connect. */
export async function startSimHubCommand(argv: string[], out: NodeJS.WritableStream, log?: Logger): Promise<SimulatedHub> {
  const { options, deviceId } = parseSimHubArgs(argv);
  const hub = await SimulatedHub.start(log ? { ...options, log } : options);
  try {
    const identity = hub.createModule(deviceId, DEFAULT_MODULE_ID);
    const line = {
      host: hub.host,
      port: hub.port,
      caFile: hub.caFile,
      hubName: hub.hubName,
      deviceId: identity.deviceId,
      moduleId: identity.moduleId,
      connectionString: identity.connectionString,
    };
    out.write(JSON.stringify(line) + '\n');
    return hub;
  } catch (err) {
    await hub.stop();
    throw err;
  }
}
