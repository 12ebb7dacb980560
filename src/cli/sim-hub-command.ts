/** `iot-micro-agent sim-hub`: the simulated IoT Hub on its own, until Ctrl-C. */
import { UserInputError, errorMessage } from '../errors.js';
import { createLogger } from '../log.js';
import { parseSimHubArgs, startSimHubCommand } from '../sim-hub/index.js';
import { waitForSignal } from './run-command.js';

export async function simHubCommand(args: string[]): Promise<number> {
  try {
    parseSimHubArgs(args);
  } catch (err) {
    throw new UserInputError(errorMessage(err));
  }
  const hub = await startSimHubCommand(args, process.stdout, createLogger({ level: 'warn', destination: process.stderr }));
  await waitForSignal();
  await hub.stop();
  return 0;
}
