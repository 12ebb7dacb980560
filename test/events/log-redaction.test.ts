import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, redactText } from '../../src/log.js';
import { connectFailureReason } from '../../src/hub/connect-reason.js';

const KEY = 'c2VjcmV0LWtleS1ub3QtZm9yLWxvZ3MtMDEyMzQ1Njc4OQ==';
const SAS = 'SharedAccessSignature sr=hub%2Fdevices%2Fd&sig=QUJDREVGR0hJSktMTU5PUA%3D%3D&se=1795363922';

function capture(): { lines: string[]; log: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  const destination = new Writable({ write(chunk: Buffer, _e, cb) { lines.push(chunk.toString()); cb(); } });
  return { lines, log: createLogger({ level: 'debug', destination }) };
}

describe('secrets never reach a log line', () => {
  it('redacts keys and signatures inside free text', () => {
    expect(redactText(`HostName=h;DeviceId=d;SharedAccessKey=${KEY};ModuleId=m`)).toBe('HostName=h;DeviceId=d;SharedAccessKey=[REDACTED];ModuleId=m');
    expect(redactText(SAS)).not.toContain('QUJDREVG');
  });

  it('redacts secrets in messages, string fields, error messages and stacks, and secret-named fields', () => {
    const { lines, log } = capture();
    log.info(`connecting with HostName=h;SharedAccessKey=${KEY}`);
    log.warn({ reason: `password was ${SAS}` }, 'refused');
    const err = new Error(`mqtt failed for HostName=h;DeviceId=d;ModuleId=m;SharedAccessKey=${KEY}`);
    log.error({ err }, 'failure');
    log.info({ connectionString: 'anything', sharedAccessKey: KEY, password: SAS }, 'fields');
    const all = lines.join('');
    expect(lines).toHaveLength(4);
    expect(all).not.toContain(KEY);
    expect(all).not.toContain('QUJDREVG');
    expect(all).toContain('[REDACTED]');
  });

  it('keeps connection failure reasons free of secrets', () => {
    const reason = connectFailureReason(new Error(`weird failure with SharedAccessKey=${KEY}`), 'localhost:1');
    expect(reason).not.toContain(KEY);
  });
});
