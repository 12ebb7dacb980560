/**
 * LocalUsers: users and their groups from `<hostRoot>/etc/passwd` and `/etc/group`, read at each send
 * interval. The first read after a (re)start and one a day send every user; the reads between send only
 * the users added, removed or modified since the previous read (ExtraDetails.Change), and nothing when none.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Collector, CollectorFactory, CollectorStatus, EventSink } from '../types.js';
import { diffUsers, parseLocalUsers, toPayloadItem, type LocalUser } from './parse.js';

export const FULL_REPORT_EVERY_MS = 24 * 60 * 60 * 1000;
/** /etc/passwd on a device is a few KB; this bounds a broken one. */
const MAX_BYTES = 4 * 1024 * 1024;

/** A host root without the file has no entries in it. */
async function readSmall(path: string): Promise<string> {
  const text = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return '';
    throw err;
  });
  return text.length > MAX_BYTES ? text.slice(0, MAX_BYTES) : text;
}

export async function readLocalUsers(hostRoot: string): Promise<LocalUser[]> {
  const [passwd, group] = await Promise.all([readSmall(join(hostRoot, 'etc/passwd')), readSmall(join(hostRoot, 'etc/group'))]);
  return parseLocalUsers(passwd, group);
}

export const createLocalUsersCollector: CollectorFactory = ({ hostRoot, clock }) => {
  let previous: LocalUser[] | undefined;
  let lastFullAt = 0;
  let stopped = false;
  let failure: string | undefined;
  const collector: Collector = {
    name: 'LocalUsers',
    async collect(out: EventSink) {
      if (stopped) return;
      let users: LocalUser[];
      try {
        users = await readLocalUsers(hostRoot);
        failure = undefined;
      } catch (err) {
        failure = `cannot read users: ${err instanceof Error ? err.message : String(err)}`;
        out.error(failure);
        return;
      }
      const now = clock.now();
      const full = previous === undefined || now - lastFullAt >= FULL_REPORT_EVERY_MS;
      const payload = full ? users.map((u) => toPayloadItem(u)) : diffUsers(previous ?? [], users).map((c) => toPayloadItem(c.user, c.change));
      previous = users;
      if (full) lastFullAt = now;
      if (payload.length > 0) out.emit({ name: 'LocalUsers', category: 'Periodic', eventType: 'Security', time: now, payload });
    },
    async stop() {
      stopped = true;
    },
    status: (): CollectorStatus => (stopped ? { state: 'stopped' } : failure ? { state: 'degraded', detail: failure } : { state: 'running' }),
  };
  return collector;
};
