/** `iot-micro-agent validate-config FILE` */
import { validateConfigCommand } from '../config/validate-config-command.js';
import { UserInputError } from '../errors.js';
import { parseOptions } from './options.js';

export async function validateConfigCliCommand(args: string[]): Promise<number> {
  const { positionals } = parseOptions(args, {});
  const [file, ...extra] = positionals;
  if (file === undefined || extra.length > 0) throw new UserInputError('usage: iot-micro-agent validate-config FILE');
  return validateConfigCommand(file, process.stdout, process.stderr);
}
