/** Connection inodes per namespace and protocol, so a table skipped this poll keeps its sockets while the read ones are swept. */
import type { Protocol } from './parse.js';

export class SeenSockets {
  /** namespace id -> protocol -> inode -> generation of the poll that last saw it. */
  private readonly byNamespace = new Map<string, Map<Protocol, Map<number, number>>>();

  private group(nsId: string, protocol: Protocol): Map<number, number> {
    let groups = this.byNamespace.get(nsId);
    if (!groups) this.byNamespace.set(nsId, (groups = new Map()));
    let inodes = groups.get(protocol);
    if (!inodes) groups.set(protocol, (inodes = new Map()));
    return inodes;
  }

  /** Records the inode as seen in generation `gen`; true when it was not seen before. */
  mark(nsId: string, protocol: Protocol, inode: number, gen: number): boolean {
    const inodes = this.group(nsId, protocol);
    const known = inodes.has(inode);
    inodes.set(inode, gen);
    return !known;
  }

  /** Forgets the sockets of a group read in generation `gen` that it no longer holds (closed). */
  sweep(nsId: string, protocol: Protocol, gen: number): void {
    const inodes = this.byNamespace.get(nsId)?.get(protocol);
    // forEach, not for-of: no [key, value] array per entry (thousands per sweep, each poll)
    inodes?.forEach((g, inode) => {
      if (g !== gen) inodes.delete(inode);
    });
  }

  has(inode: number): boolean {
    for (const groups of this.byNamespace.values()) for (const inodes of groups.values()) if (inodes.has(inode)) return true;
    return false;
  }

  /** Drops namespaces that no longer exist (their sockets closed with them). */
  retain(nsIds: ReadonlySet<string>): void {
    for (const id of this.byNamespace.keys()) if (!nsIds.has(id)) this.byNamespace.delete(id);
  }

  get size(): number {
    let n = 0;
    for (const groups of this.byNamespace.values()) for (const inodes of groups.values()) n += inodes.size;
    return n;
  }
}
