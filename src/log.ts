/** pino, JSON to stdout, with secrets redacted wherever they could appear. */
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger } from 'pino';

/** Connection-string keys and SAS parts that must never reach a log line. */
const SECRET_IN_TEXT = /(SharedAccessKey=|SharedAccessSignature\s+|sig=|\bse=\S*?&?sig=)[^;&\s"]*/gi;

/** Replace every secret inside free text (error messages from the SDK quote connection strings). */
export function redactText(text: string): string {
  return text.replace(SECRET_IN_TEXT, (_m, prefix: string) => `${prefix}[REDACTED]`);
}

const REDACT_PATHS = [
  'connectionString', '*.connectionString', 'sharedAccessKey', '*.sharedAccessKey', 'SharedAccessKey',
  '*.SharedAccessKey', 'password', '*.password', 'sas', '*.sas', 'token', '*.token', 'primaryKey', '*.primaryKey',
];

export interface LogOptions {
  level?: LevelWithSilent;
  /** A destination stream; stdout when absent. */
  destination?: NodeJS.WritableStream;
}

export function createLogger(options: LogOptions = {}): Logger {
  const opts = {
    level: options.level ?? 'info',
    base: { name: 'iot-micro-agent' },
    redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
    formatters: {
      log(obj: Record<string, unknown>) {
        for (const [k, v] of Object.entries(obj)) if (typeof v === 'string') obj[k] = redactText(v);
        return obj;
      },
    },
    hooks: {
      logMethod(this: Logger, args: unknown[], method: (...a: unknown[]) => void) {
        method.apply(this, args.map((a) => (typeof a === 'string' ? redactText(a) : a)));
      },
    },
    serializers: {
      err: (err: unknown) => {
        const e = pino.stdSerializers.err(err as Error);
        if (typeof e.message === 'string') e.message = redactText(e.message);
        if (typeof e.stack === 'string') e.stack = redactText(e.stack);
        return e;
      },
    },
  };
  return options.destination
    ? pino(opts, options.destination as pino.DestinationStream)
    : pino(opts);
}

/** A logger that drops everything, for tests and embedding without logs. */
export function silentLogger(): Logger {
  // Its own no-op destination: pino's default one opens stdout and adds a process 'exit' listener.
  return pino({ level: 'silent' }, { write: () => undefined });
}
