/** `iot-micro-agent collect login --once`: what the current files hold, from their start, state untouched. */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { CollectedEvent, CollectorOptions, SpawnedChildren } from '../types.js';
import type { FileMark } from './incremental-file.js';
import { JOURNAL_MATCHES, parseJournalLine } from './journal-follower.js';
import { LoginMerger } from './login-merge.js';
import { PasswdUsers, toLoginEvent } from './login-event.js';
import { FileSource, type LoginSourceOverrides, type SourceKind, planSources } from './login-sources.js';
import { type LoginObservation, hasPossibleTime } from './observation.js';

/** The one-shot journal read is bounded: the last N sshd entries. */
export const SNAPSHOT_JOURNAL_LINES = 2000;

/** `wtmp.1` before `wtmp`: the rotated file is the older one, and sessions continue across it. */
async function withRotated(path: string): Promise<string[]> {
  const rotated = `${basename(path)}.1`;
  try {
    const names = await readdir(dirname(path));
    return names.includes(rotated) ? [join(dirname(path), rotated), path] : [path];
  } catch {
    return [path];
  }
}

async function readWhole(path: string, kind: SourceKind, nowMs: number, session?: FileSource): Promise<{ source: FileSource; observations: LoginObservation[] }> {
  const source = new FileSource(path, kind);
  if (session?.utmp !== undefined && source.utmp !== undefined) for (const [k, v] of session.utmp.sessions) source.utmp.sessions.set(k, v);
  const observations: LoginObservation[] = [];
  let mark: FileMark | undefined;
  // incremental reads are bounded per call; loop until the end of the file
  for (let i = 0; i < 256; i++) {
    const r = await source.poll(mark, false, nowMs);
    observations.push(...r.observations);
    const done = r.mark === undefined || r.mark.offset === mark?.offset || r.mark.offset >= r.mark.size;
    mark = r.mark;
    if (done) break;
  }
  observations.push(...(await source.readTail(mark, nowMs)));
  return { source, observations };
}

function journalSnapshot(command: string, hostRoot: string, nowMs: number, spawned: SpawnedChildren | undefined): Promise<LoginObservation[]> {
  const args = ['--output=json', '--no-pager', '--quiet', `--lines=${SNAPSHOT_JOURNAL_LINES}`];
  if (hostRoot !== '/' && hostRoot !== '') args.push(`--root=${hostRoot}`);
  args.push(...JOURNAL_MATCHES);
  return new Promise((resolve) => {
    const child = execFile(command, args, { maxBuffer: 64 * 1024 * 1024 }, (err, stdout) => {
      if (err !== null && stdout === '') return resolve([]);
      const out: LoginObservation[] = [];
      for (const line of stdout.split('\n')) {
        const obs = parseJournalLine(line, nowMs).observation;
        if (obs !== undefined) out.push(obs);
      }
      resolve(out);
    });
    spawned?.add(child);
  });
}

/**
 * Reads every login source from its start (rotated `.1` files first), merges, and returns the
 * events the collector would report; writes nothing to the state dir. Missing files are skipped.
 */
export async function snapshotLogins(options: CollectorOptions, overrides: LoginSourceOverrides = {}): Promise<CollectedEvent[]> {
  const nowMs = options.clock.now();
  const plan = planSources(options.hostRoot, options.settings['Login_UsePAM'] === true, overrides);
  const observations: LoginObservation[] = [];
  for (const file of plan.files) {
    let previous: FileSource | undefined;
    for (const path of await withRotated(file.path)) {
      if (!existsSync(path)) continue;
      try {
        const r = await readWhole(path, file.kind, nowMs, previous);
        previous = r.source;
        observations.push(...r.observations);
        const c = r.source.counters;
        if (c.garbage + c.truncated > 0) options.log.warn({ path, ...c }, 'skipped garbage or truncated login records');
      } catch (err) {
        options.log.warn({ path, err: (err as Error).message }, 'cannot read login file');
      }
    }
  }
  if (plan.useJournal) observations.push(...(await journalSnapshot(overrides.journalctl ?? 'journalctl', options.hostRoot, nowMs, options.spawned)));
  const users = new PasswdUsers(options.hostRoot);
  await users.refresh();
  const possible = observations.filter(hasPossibleTime);
  if (possible.length < observations.length) options.log.warn({ skipped: observations.length - possible.length }, 'skipped login records with an impossible time');
  const merger = new LoginMerger();
  const merged: LoginObservation[] = [];
  // history is merged on its own clock: each record's time stands in for "now"
  for (const obs of possible.sort((a, b) => a.timeMs - b.timeMs)) {
    merged.push(...merger.flush(obs.timeMs), ...merger.add(obs, obs.timeMs));
  }
  merged.push(...merger.flush(nowMs, true));
  return merged.sort((a, b) => a.timeMs - b.timeMs).map((obs) => toLoginEvent(obs, users.lookup));
}
