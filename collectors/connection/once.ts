/** One-shot listing for `iot-micro-agent collect connection --once`: every socket with its process. */
import { endianness } from 'node:os';
import { InodeOwners, readProcessInfo, type ProcessInfo } from './inode-owner.js';
import { discoverNamespaces } from './namespaces.js';
import { parseSocketTable, stateName, type SocketRow } from './parse.js';
import { readTable, TABLES } from './socket-table.js';

export interface SocketRecord extends SocketRow {
  /** `LISTEN`, `ESTABLISHED`, ... for TCP; `UNCONN` or `ESTABLISHED` (connected) for UDP. */
  readonly stateName: string;
  /** The network namespace, e.g. `net:[4026531833]`. */
  readonly netns: string;
  /** Undefined when no visible process holds the socket (another pid namespace, not root, or gone). */
  readonly process?: ProcessInfo;
}

export interface ReadSocketsOptions {
  /** Root of the observed host; `/` by default. */
  readonly hostRoot?: string;
  readonly littleEndian?: boolean;
}

/** Reads tcp/tcp6/udp/udp6 of every network namespace once and joins each socket to its owner. */
export async function readSocketsOnce(options: ReadSocketsOptions = {}): Promise<SocketRecord[]> {
  const procRoot = `${(options.hostRoot ?? '/').replace(/\/+$/, '')}/proc`;
  const le = options.littleEndian ?? endianness() === 'LE';
  const rows: Array<{ row: SocketRow; netns: string }> = [];
  const inodes = new Set<number>();
  for (const ns of discoverNamespaces(procRoot).namespaces) {
    let texts: string[];
    try {
      texts = await Promise.all(TABLES.map((spec) => readTable(ns.netDir, spec)));
    } catch {
      continue; // the process representing this namespace exited
    }
    TABLES.forEach((spec, k) => {
      for (const row of parseSocketTable(texts[k] ?? '', spec.protocol, spec.family, le).rows) {
        if (row.inode !== 0 && inodes.has(row.inode)) continue;
        if (row.inode !== 0) inodes.add(row.inode);
        rows.push({ row, netns: ns.id });
      }
    });
  }
  const owners = new InodeOwners(procRoot).resolve(inodes, true);
  const infos = new Map<number, ProcessInfo>();
  return rows.map(({ row, netns }) => {
    const pid = owners.get(row.inode);
    const base = { ...row, stateName: stateName(row.protocol, row.state), netns };
    if (pid === undefined) return base;
    const info = infos.get(pid) ?? readProcessInfo(procRoot, pid);
    infos.set(pid, info);
    return { ...base, process: info };
  });
}
