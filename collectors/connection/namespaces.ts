/** Network namespaces to read: the host's `<proc>/net`, plus one process per other namespace (as osquery does). */
import { readdirSync, readlinkSync } from 'node:fs';

export interface NetNamespace {
  /** The `/proc/<pid>/ns/net` link target, e.g. `net:[4026531833]`. */
  readonly id: string;
  /** Directory holding tcp, tcp6, udp, udp6, if_inet6, fib_trie, route. */
  readonly netDir: string;
  /** The process the namespace is read through; undefined for `<proc>/net` itself. */
  readonly pid?: number;
}

export interface NamespaceScan {
  readonly namespaces: NetNamespace[];
  /** Each readable pid's namespace id, for the next scan to reuse. */
  readonly links: ReadonlyMap<number, string>;
  /** All pids seen while scanning, for the owner lookup's "new process" ordering. */
  readonly pids: number[];
  /** Some ns links were unreadable (not root): containers may be missed. */
  readonly denied: number;
}

/** Numeric entries of `<proc>`, newest (highest) first. */
export function listPids(procRoot: string): number[] {
  let names: string[];
  try {
    names = readdirSync(procRoot);
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const name of names) {
    const c = name.charCodeAt(0);
    if (c >= 49 && c <= 57 && /^\d+$/.test(name)) pids.push(Number(name));
  }
  return pids.sort((a, b) => b - a);
}

function nsLink(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}

/**
 * One readlink per process (microseconds each, so sync); the caller runs this rarely. With `known` (the links of the
 * scan before) only pids not listed then are read: a new namespace's processes are new pids, and a process that
 * moved namespace (setns, unshare) is found by the caller's periodic scan without it.
 * The lowest pid of a namespace represents it: long-lived, so the choice is stable between refreshes.
 */
export function discoverNamespaces(procRoot: string, known?: ReadonlyMap<number, string>): NamespaceScan {
  const hostId = nsLink(`${procRoot}/self/ns/net`) ?? 'host';
  const namespaces: NetNamespace[] = [{ id: hostId, netDir: `${procRoot}/net` }];
  const seen = new Set([hostId]);
  const pids = listPids(procRoot);
  const links = new Map<number, string>();
  let denied = 0;
  for (let i = pids.length - 1; i >= 0; i--) {
    const pid = pids[i] as number;
    const id = known?.get(pid) ?? nsLink(`${procRoot}/${pid}/ns/net`);
    if (id === undefined) {
      denied++;
      continue;
    }
    links.set(pid, id);
    if (seen.has(id)) continue;
    seen.add(id);
    namespaces.push({ id, netDir: `${procRoot}/${pid}/net`, pid });
  }
  return { namespaces, links, pids, denied };
}
