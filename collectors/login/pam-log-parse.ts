/**
 * Lines written by systemd/pam/pam-login-hook.sh:
 * `<utc time>,<epoch s>,<pid>,<pam type>,<service>,<user>,<rhost>,<tty>,<code>`, where the four
 * text fields are percent-encoded bytes (the hook escapes everything but [A-Za-z0-9._:@/+=-]).
 */
import { type LoginObservation, observation } from './observation.js';
import { CAPS, boundedText, decodeBytes } from './text-bounds.js';

const OPERATIONS: Readonly<Record<string, { operation: LoginObservation['operation']; code: string }>> = {
  open_session: { operation: 'Login', code: '0' },
  close_session: { operation: 'Logout', code: '1' },
  auth: { operation: 'LoginFailed', code: '2' },
};

/** Percent-decoding to bytes, then UTF-8 with replacement; malformed escapes are kept literally. */
export function percentDecode(text: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const hex = text.slice(i + 1, i + 3);
    if (text[i] === '%' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(text[i] ?? '', 'utf8'));
    }
  }
  return decodeBytes(Uint8Array.from(bytes));
}

/** Undefined for lines that are not the hook's (a truncated line, a foreign line). */
export function parsePamLogLine(line: string): LoginObservation | undefined {
  const fields = line.replace(/\r$/, '').split(',');
  if (fields.length !== 9) return undefined;
  const [, epoch, pidText, type, service, user, rhost, tty, code] = fields;
  const op = OPERATIONS[type ?? ''];
  if (op === undefined || op.code !== code) return undefined;
  const seconds = Number(epoch);
  const pid = Number(pidText);
  if (!Number.isInteger(seconds) || seconds < 0 || !Number.isInteger(pid) || pid < 0) return undefined;
  const text = (raw: string | undefined, cap: number): string | undefined => {
    const decoded = boundedText(percentDecode(raw ?? ''), cap);
    return decoded === '' ? undefined : decoded;
  };
  const serviceName = text(service, CAPS.program);
  return observation(
    { operation: op.operation, sources: ['pam'], timeMs: seconds * 1000 },
    {
      user: text(user, CAPS.user) ?? '',
      pid,
      program: serviceName,
      service: serviceName,
      terminal: text(tty, CAPS.terminal),
      remoteHost: text(rhost, CAPS.host),
    },
  );
}
