/** `iot-micro-agent sim-hub`: the simulated IoT Hub on its own, until Ctrl-C. */
import { UserInputError, errorMessage } from '../errors.js';
import { createLogger } from '../log.js';
import { parseSimHubArgs, startSimHubCommand, type CapturedMessage } from '../sim-hub/index.js';
import { describeMessage } from './demo-command.js';
import { waitForSignal } from './run-command.js';

export async function simHubCommand(args: string[]): Promise<number> {
  try {
    parseSimHubArgs(args);
  } catch (err) {
    throw new UserInputError(errorMessage(err));
  }
  const hub = await startSimHubCommand(args, process.stdout, createLogger({ level: 'warn', destination: process.stderr }));
  // stdout carries the one JSON line for scripts; what arrives is shown on stderr for people.
  hub.on('message', (m: CapturedMessage) => process.stderr.write(`${m.deviceId}/${m.moduleId}  ${describeMessage(m)}\n`));
  await waitForSignal();
  await hub.stop();
  return 0;
}
