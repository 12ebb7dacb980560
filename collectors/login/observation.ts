/** What every login source produces before merging: one login, logout or failed login. */

export type LoginOperation = 'Login' | 'Logout' | 'LoginFailed';

/** Where an observation came from; `sshd-log-weak` marks pam_unix session lines that only back up sshd's own. */
export type LoginSource = 'wtmp' | 'btmp' | 'sshd-log' | 'sshd-log-weak' | 'journal' | 'pam';

export interface LoginObservation {
  readonly operation: LoginOperation;
  readonly sources: readonly LoginSource[];
  /** The record's own time when it has one, else when it was read (ms since the epoch). */
  readonly timeMs: number;
  /** All text fields below are already bounded and printable (text-bounds.ts). */
  readonly user?: string;
  readonly pid?: number;
  /** The pid in wtmp when another source gave the handling process's pid. */
  readonly sessionPid?: number;
  readonly program?: string;
  readonly terminal?: string;
  readonly remoteHost?: string;
  readonly remotePort?: number;
  readonly method?: string;
  readonly invalidUser?: boolean;
  readonly service?: string;
}

/** A mutable builder shape for parsers; exactOptionalPropertyTypes forbids assigning undefined. */
export type ObservationFields = {
  -readonly [K in keyof LoginObservation]?: LoginObservation[K];
};

/** Copies only the defined fields, so optional properties are absent rather than undefined. */
export function observation(
  base: Pick<LoginObservation, 'operation' | 'sources' | 'timeMs'>,
  fields: { [K in keyof ObservationFields]: ObservationFields[K] | undefined },
): LoginObservation {
  const out: ObservationFields = { ...base };
  for (const [key, value] of Object.entries(fields) as [keyof ObservationFields, unknown][]) {
    if (value !== undefined) (out as Record<string, unknown>)[key] = value;
  }
  return out as LoginObservation;
}

/** The latest time an event can carry: the message schema's date-time has a four-digit year. */
export const MAX_RECORD_TIME_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** False for a record time no date can hold (a PAM line with epoch 1e20, a forged journal timestamp). */
export function hasPossibleTime(obs: LoginObservation): boolean {
  return Number.isFinite(obs.timeMs) && obs.timeMs >= 0 && obs.timeMs <= MAX_RECORD_TIME_MS;
}
