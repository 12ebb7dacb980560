/** Turns the SDK's connection errors into one line a device owner can act on. */
import { errorMessage } from '../errors.js';
import { redactText } from '../log.js';

/** What the user can do about a refused certificate or refused credentials; IoT Edge modules have their own. */
export interface ConnectAdvice { tls: string; credentials: string }

const DIRECT_ADVICE: ConnectAdvice = { tls: 'set trustedCaFile', credentials: 'check the module\'s SharedAccessKey, DeviceId and ModuleId' };

export function connectFailureReason(err: unknown, endpoint: string, advice: ConnectAdvice = DIRECT_ADVICE): string {
  const msg = errorMessage(err);
  const code = (err as { code?: unknown } | undefined)?.code;
  // The SDK words every first-connection failure as "Not authorized" (reference §0.1): the cause decides.
  if (/ECONNREFUSED/.test(msg) || code === 'ECONNREFUSED') return `cannot reach the hub at ${endpoint}: connection refused`;
  if (/ENOTFOUND|EAI_AGAIN/.test(msg)) return `cannot resolve the hub host ${endpoint}`;
  if (/ETIMEDOUT|timed out/i.test(msg)) return `the hub at ${endpoint} did not answer in time`;
  if (/certificate|self[- ]signed|unable to verify|CERT_/i.test(msg)) {
    return `TLS: the hub's certificate at ${endpoint} is not trusted (${redactText(msg).slice(0, 160)}); ${advice.tls}`;
  }
  if (/not authori[sz]ed|bad user ?name or password|connection refused: (not authorized|bad)/i.test(msg)) {
    return `the hub at ${endpoint} refused the credentials (${advice.credentials})`;
  }
  if (/Server unavailable|ServiceUnavailable/i.test(msg)) return `the hub at ${endpoint} is unavailable`;
  return `cannot connect to the hub at ${endpoint}: ${redactText(msg).slice(0, 200)}`;
}
