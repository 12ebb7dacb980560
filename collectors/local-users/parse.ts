/** Local users with their groups, from passwd and group text: pure functions. */
import type { PayloadItem } from '../../src/events/event.js';

export interface LocalUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
  readonly shell: string;
  /** Primary group first, then supplementary groups in /etc/group order. */
  readonly groups: readonly { readonly gid: number; readonly name: string }[];
}

/** Shells that refuse an interactive login. */
const NO_LOGIN_SHELLS = new Set(['/usr/sbin/nologin', '/sbin/nologin', '/bin/false', '/usr/bin/false', '/bin/sync', '/usr/bin/nologin']);

function records(text: string, fields: number): string[][] {
  return text.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#') && !l.startsWith('+') && !l.startsWith('-'))
    .map((l) => l.split(':')).filter((f) => f.length >= fields);
}

export function parseLocalUsers(passwd: string, group: string): LocalUser[] {
  const groups = records(group, 4).map((f) => ({ name: f[0] ?? '', gid: Number(f[2]), members: (f[3] ?? '').split(',').map((m) => m.trim()).filter(Boolean) }))
    .filter((g) => g.name !== '' && Number.isInteger(g.gid));
  const users: LocalUser[] = [];
  for (const f of records(passwd, 7)) {
    const [name = '', , uidText = '', gidText = '', , home = '', shell = ''] = f;
    const uid = Number(uidText);
    const gid = Number(gidText);
    if (name === '' || !Number.isInteger(uid) || !Number.isInteger(gid)) continue;
    const primary = { gid, name: groups.find((g) => g.gid === gid)?.name ?? String(gid) };
    const supplementary = groups.filter((g) => g.gid !== gid && g.members.includes(name)).map((g) => ({ gid: g.gid, name: g.name }));
    users.push({ name, uid, gid, home, shell, groups: [primary, ...supplementary] });
  }
  return users;
}

export function canLogIn(user: LocalUser): boolean {
  return user.shell !== '' && !NO_LOGIN_SHELLS.has(user.shell);
}

export type UserChange = 'Added' | 'Removed' | 'Modified';

/** The official LocalUsers item; ExtraDetails marks login-capable and UID-0 users and, between full reports, the change. */
export function toPayloadItem(user: LocalUser, change?: UserChange): PayloadItem {
  const details: Record<string, string> = {
    LoginCapable: String(canLogIn(user)), Uid0: String(user.uid === 0), Shell: user.shell, HomeDirectory: user.home,
  };
  if (change !== undefined) details['Change'] = change;
  return {
    UserName: user.name,
    UserId: String(user.uid),
    GroupIds: user.groups.map((g) => g.gid).join(';'),
    GroupNames: user.groups.map((g) => g.name).join(';'),
    ExtraDetails: details,
  };
}

/** Users added, removed or modified between two snapshots, keyed by name. */
export function diffUsers(before: readonly LocalUser[], after: readonly LocalUser[]): { user: LocalUser; change: UserChange }[] {
  const old = new Map(before.map((u) => [u.name, u]));
  const now = new Map(after.map((u) => [u.name, u]));
  const out: { user: LocalUser; change: UserChange }[] = [];
  for (const u of after) {
    const prev = old.get(u.name);
    if (!prev) out.push({ user: u, change: 'Added' });
    else if (JSON.stringify(prev) !== JSON.stringify(u)) out.push({ user: u, change: 'Modified' });
  }
  for (const u of before) if (!now.has(u.name)) out.push({ user: u, change: 'Removed' });
  return out;
}
