/** A pino logger whose JSON lines are kept in memory, so tests can assert what was logged. */
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';

export interface CapturedLog {
  readonly log: Logger;
  readonly lines: () => Record<string, unknown>[];
  readonly raw: () => string[];
}

export function captureLog(): CapturedLog {
  const raw: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line !== '') raw.push(line);
      done();
    },
  });
  const log = pino({ level: 'debug' }, stream);
  return {
    log,
    raw: () => [...raw],
    lines: () => raw.map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}
