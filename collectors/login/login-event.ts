/** A merged login observation as the official `Login` event (messageEventSecurityLogin_v1_0.json). */
import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PayloadItem } from '../../src/events/event.js';
import type { CollectedEvent } from '../types.js';
import type { LoginObservation } from './observation.js';
import { ipAddressOf } from './text-bounds.js';

export type UserIdLookup = (userName: string) => string | undefined;

/**
 * `Executable` is the program that handled the login (`sshd`, `sshd-session`, the PAM service) and
 * falls back to the terminal (`tty1`, `pts/0`) for a login only wtmp saw; the terminal is also in
 * ExtraDetails.Terminal.
 */
export function toLoginEvent(obs: LoginObservation, uidOf: UserIdLookup): CollectedEvent {
  const user = obs.user ?? '';
  const result = obs.operation === 'LoginFailed' ? 'Fail' : 'Success';
  const address = ipAddressOf(obs.remoteHost);
  const details: Record<string, string> = { Source: obs.sources.join('+') };
  if (obs.terminal !== undefined) details['Terminal'] = obs.terminal;
  if (obs.method !== undefined) details['Method'] = obs.method;
  if (obs.service !== undefined) details['PamService'] = obs.service;
  if (obs.remoteHost !== undefined && address === undefined) details['RemoteHost'] = obs.remoteHost;
  if (obs.invalidUser === true) details['InvalidUser'] = 'true';
  if (obs.sessionPid !== undefined) details['SessionProcessId'] = String(obs.sessionPid);
  details['RecordTimeUtc'] = new Date(obs.timeMs).toISOString();
  const item: PayloadItem = {
    // 0 when the source names no process (`sshd -E` lines carry no pid)
    ProcessId: obs.pid ?? 0,
    UserName: user,
    Operation: obs.operation,
    Executable: obs.program ?? obs.terminal ?? 'unknown',
    Result: result,
    ExtraDetails: details,
  };
  const uid = obs.invalidUser === true || user === '' ? undefined : uidOf(user);
  if (uid !== undefined) item['UserId'] = uid;
  if (address !== undefined) item['RemoteAddress'] = address;
  if (obs.remotePort !== undefined) item['RemotePort'] = String(obs.remotePort);
  return {
    name: 'Login',
    category: 'Triggered',
    eventType: 'Security',
    payload: [item],
    time: obs.timeMs,
    payloadSchemaVersion: '1.0',
    aggregationKey: JSON.stringify(['Login', user, obs.operation, result, address ?? obs.remoteHost ?? '']),
  };
}

/** Where PasswdUsers reads user ids (the change gate watches it too). */
export function passwdPath(hostRoot: string): string {
  return join(hostRoot, 'etc/passwd');
}

/** `<hostRoot>/etc/passwd` names to uids, reread only when the file changes. */
export class PasswdUsers {
  private byName = new Map<string, string>();
  private mtimeMs = -1;

  constructor(private readonly hostRoot: string) {}

  async refresh(): Promise<void> {
    const path = passwdPath(this.hostRoot);
    try {
      const st = statSync(path); // sync: once a poll, and microseconds (the async stat costs several times the CPU)
      if (st.mtimeMs === this.mtimeMs) return;
      const text = await readFile(path, 'utf8');
      this.byName = parsePasswd(text);
      this.mtimeMs = st.mtimeMs;
    } catch {
      this.byName = new Map();
    }
  }

  readonly lookup: UserIdLookup = (name) => this.byName.get(name);
}

export function parsePasswd(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of text.split('\n')) {
    const [name, , uid] = line.split(':');
    if (name !== undefined && name !== '' && uid !== undefined && /^\d+$/.test(uid)) map.set(name, uid);
  }
  return map;
}
