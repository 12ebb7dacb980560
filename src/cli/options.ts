/** Strict option parsing for the subcommands: a bad option is a one-line user error. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UserInputError, errorMessage } from '../errors.js';

export interface ParsedOptions {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

export function parseOptions(args: string[], options: NonNullable<ParseArgsConfig['options']>): ParsedOptions {
  try {
    const { values, positionals } = parseArgs({ args, options, allowPositionals: true, strict: true });
    return { values: values as ParsedOptions['values'], positionals };
  } catch (err) {
    throw new UserInputError(errorMessage(err));
  }
}

/** A string option's value; a boolean where a string belongs cannot happen with type: 'string'. */
export function stringOption(values: ParsedOptions['values'], name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

/** "30s", "2m", "1h", "500ms" or a number of seconds, in ms. */
export function parseDuration(text: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new UserInputError(`${what}: ${JSON.stringify(text.slice(0, 20))} is not a duration like 30s, 2m or 1h`);
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  const factor = unit === 'ms' ? 1 : unit === 's' ? 1000 : unit === 'm' ? 60_000 : 3_600_000;
  return Math.round(n * factor);
}
