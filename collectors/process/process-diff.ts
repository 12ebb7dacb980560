/** Pure diffing of process lists. A process is its pid plus its start time. */

export interface ProcessKey {
  readonly pid: number;
  readonly startTime: number;
}

export interface ProcessDiff<T extends ProcessKey> {
  /** Pids to read in full: never seen, or seen with another start time (a reused pid). */
  readonly created: number[];
  /** Known processes that are gone, including the old owner of a reused pid. */
  readonly terminated: T[];
}

/**
 * `listed` is this poll's directory listing; `rechecked` holds the start times read again for the
 * known pids that were suspect (undefined: vanished between listing and reading). Known pids that
 * are listed and not rechecked are taken to be the same process.
 */
export function diffProcesses<T extends ProcessKey>(
  known: ReadonlyMap<number, T>,
  listed: readonly number[],
  rechecked: ReadonlyMap<number, number | undefined> = new Map(),
): ProcessDiff<T> {
  const created: number[] = [];
  const terminated: T[] = [];
  const present = new Set<number>();
  for (const pid of listed) {
    present.add(pid);
    const old = known.get(pid);
    if (old === undefined) {
      created.push(pid);
      continue;
    }
    if (!rechecked.has(pid)) continue;
    const startTime = rechecked.get(pid);
    if (startTime === old.startTime) continue;
    terminated.push(old);
    if (startTime !== undefined) created.push(pid);
  }
  for (const [pid, old] of known) if (!present.has(pid)) terminated.push(old);
  return { created, terminated };
}

/**
 * Whether `pid` may have been handed out since the last poll: pids are allocated upwards from the
 * last one and wrap at pid_max, so new pids lie in the cyclic range (from, to].
 */
export function inCyclicRange(pid: number, from: number, to: number): boolean {
  if (to === from) return false;
  return to > from ? pid > from && pid <= to : pid > from || pid <= to;
}

/** Keyed form for one-shot comparisons (e.g. two snapshots): `<pid>:<startTime>`. */
export function processKey(p: ProcessKey): string {
  return `${p.pid}:${p.startTime}`;
}
