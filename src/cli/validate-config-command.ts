/** `iot-micro-agent validate-config FILE [--collectors MODULE]` */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { DefinedCollector } from '../../collectors/define-collector.js';
import { validateConfigCommand } from '../config/validate-config-command.js';
import { prepareCollectors } from '../custom-collectors.js';
import { UserInputError, errorMessage } from '../errors.js';
import { parseOptions, stringOption } from './options.js';

export async function validateConfigCliCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseOptions(args, { collectors: { type: 'string' } });
  const [file, ...extra] = positionals;
  if (file === undefined || extra.length > 0) throw new UserInputError('usage: iot-micro-agent validate-config FILE [--collectors MODULE]');
  const module = stringOption(values, 'collectors');
  const schema = module === undefined ? undefined : prepareCollectors({}, await customCollectorsOf(module)).twinSchema;
  return validateConfigCommand(file, process.stdout, process.stderr, schema);
}

/** The collectors a gateway's module declares with defineCollector: its exports, or arrays among them. */
async function customCollectorsOf(module: string): Promise<DefinedCollector[]> {
  let exports: Record<string, unknown>;
  try {
    exports = await import(pathToFileURL(resolve(module)).href) as Record<string, unknown>;
  } catch (err) {
    throw new UserInputError(`--collectors: cannot load ${module}: ${errorMessage(err).split('\n')[0] ?? ''}`);
  }
  const defined = Object.values(exports).flat().filter((v): v is DefinedCollector => (v as DefinedCollector | null)?.kind === 'defined-collector');
  if (defined.length === 0) throw new UserInputError(`--collectors: ${module} exports no collector made with defineCollector`);
  try {
    prepareCollectors({}, defined);
  } catch (err) {
    throw new UserInputError(`--collectors: ${errorMessage(err)}`);
  }
  return defined;
}
