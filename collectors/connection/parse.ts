/** Pure parsers for the procfs files the connection collector reads. No I/O here. */

export type Protocol = 'TCP' | 'UDP';
export type Family = 4 | 6;

/** One row of /proc/net/{tcp,tcp6,udp,udp6}, decoded. */
export interface SocketRow {
  readonly protocol: Protocol;
  readonly family: Family;
  /** Kernel state number (TCP_ESTABLISHED = 1, TCP_LISTEN = 10, TCP_CLOSE = 7, ...). */
  readonly state: number;
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** Owner uid of the socket as the kernel reports it. */
  readonly uid: number;
  /** Socket inode; 0 for sockets without a file (TIME_WAIT, orphaned). */
  readonly inode: number;
}

export const TCP_STATE_NAMES: Readonly<Record<number, string>> = {
  1: 'ESTABLISHED', 2: 'SYN_SENT', 3: 'SYN_RECV', 4: 'FIN_WAIT1', 5: 'FIN_WAIT2', 6: 'TIME_WAIT',
  7: 'CLOSE', 8: 'CLOSE_WAIT', 9: 'LAST_ACK', 10: 'LISTEN', 11: 'CLOSING',
};

/** States of a TCP socket that was established once (a closing one still counts as a connection). */
const TCP_CONNECTED_STATES = new Set([1, 4, 5, 8, 9, 11]);

export type RowKind = 'listen' | 'connection' | 'other';

/**
 * TCP: LISTEN is a listener, established-or-closing is a connection. UDP: a connected socket (state 1,
 * set by connect(), always with a remote address) is a connection; an unconnected bound one (state 7) listens.
 */
export function rowKind(protocol: Protocol, state: number): RowKind {
  if (protocol === 'TCP') {
    if (state === 10) return 'listen';
    return TCP_CONNECTED_STATES.has(state) ? 'connection' : 'other';
  }
  if (state === 1) return 'connection';
  return state === 7 ? 'listen' : 'other';
}

export function stateName(protocol: Protocol, state: number): string {
  if (protocol === 'UDP') return state === 1 ? 'ESTABLISHED' : 'UNCONN';
  return TCP_STATE_NAMES[state] ?? `STATE_${state}`;
}

const HEX = /^[0-9A-Fa-f]+$/;

/** Bytes of an address as printed by the kernel: 32-bit words in host byte order. */
function wordsToBytes(hex: string, littleEndian: boolean): number[] {
  const bytes: number[] = [];
  for (let w = 0; w < hex.length; w += 8) {
    const word = [0, 2, 4, 6].map((o) => parseInt(hex.slice(w + o, w + o + 2), 16));
    bytes.push(...(littleEndian ? word.reverse() : word));
  }
  return bytes;
}

/** RFC 5952 text for 16 bytes; IPv4-mapped addresses (::ffff:a.b.c.d) become plain IPv4. */
export function formatIPv6Bytes(bytes: readonly number[]): string {
  const isMapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  if (isMapped) return bytes.slice(12, 16).join('.');
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** Decodes `0100007F` (IPv4) or a 32-digit IPv6 address from /proc/net/*; undefined if malformed. */
export function decodeAddress(hex: string, family: Family, littleEndian: boolean): string | undefined {
  if (!HEX.test(hex) || hex.length !== (family === 4 ? 8 : 32)) return undefined;
  const bytes = wordsToBytes(hex, littleEndian);
  return family === 4 ? bytes.join('.') : formatIPv6Bytes(bytes);
}

function decodeEndpoint(text: string | undefined, family: Family, le: boolean): [string, number] | undefined {
  if (text === undefined) return undefined;
  const colon = text.indexOf(':');
  const portHex = text.slice(colon + 1);
  if (colon < 0 || portHex.length !== 4 || !HEX.test(portHex)) return undefined;
  const address = decodeAddress(text.slice(0, colon), family, le);
  return address === undefined ? undefined : [address, parseInt(portHex, 16)];
}

const DECIMAL = /^\d+$/;

/** One data line of /proc/net/{tcp,udp}[6]; undefined for a malformed line. */
export function parseSocketLine(line: string, protocol: Protocol, family: Family, littleEndian: boolean): SocketRow | undefined {
  const f = line.trim().split(/\s+/);
  if (f.length < 10 || !/^\d+:$/.test(f[0] ?? '')) return undefined;
  const local = decodeEndpoint(f[1], family, littleEndian);
  const remote = decodeEndpoint(f[2], family, littleEndian);
  const st = f[3] ?? '';
  const uid = f[7] ?? '';
  const inode = f[9] ?? '';
  if (!local || !remote || st.length !== 2 || !HEX.test(st) || !DECIMAL.test(uid) || !DECIMAL.test(inode)) return undefined;
  return {
    protocol, family, state: parseInt(st, 16),
    localAddress: local[0], localPort: local[1], remoteAddress: remote[0], remotePort: remote[1],
    uid: Number(uid), inode: Number(inode),
  };
}

/** A whole table: rows plus the number of malformed lines skipped (the header is not counted). */
export function parseSocketTable(text: string, protocol: Protocol, family: Family, littleEndian: boolean): { rows: SocketRow[]; malformed: number } {
  const rows: SocketRow[] = [];
  let malformed = 0;
  const lines = text.split('\n');
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line.trim() === '') continue;
    const row = parseSocketLine(line, protocol, family, littleEndian);
    if (row) rows.push(row);
    else malformed++;
  }
  return { rows, malformed };
}

/** `socket:[12345]` (an fd link target) -> 12345; undefined for anything else. */
export function parseSocketLink(target: string): number | undefined {
  if (!target.startsWith('socket:[') || !target.endsWith(']')) return undefined;
  const digits = target.slice(8, -1);
  return DECIMAL.test(digits) ? Number(digits) : undefined;
}

/** /proc/<pid>/cmdline: NUL-separated argv -> one space-separated line. */
export function parseCmdline(raw: string): string {
  return raw.split('\0').filter((a) => a !== '').join(' ');
}

export function isLoopback(address: string): boolean {
  return address === '::1' || /^127\./.test(address);
}

export function isWildcard(address: string): boolean {
  return address === '0.0.0.0' || address === '::';
}

/** /proc/net/if_inet6: `<32 hex, network order> <idx> <plen> <scope> <flags> <name>` -> [name, address]. */
export function parseIfInet6(text: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    const hex = f[0] ?? '';
    const name = f[5];
    if (name === undefined || hex.length !== 32 || !HEX.test(hex)) continue;
    out.push([name, formatIPv6Bytes(wordsToBytes(hex, false))]);
  }
  return out;
}

/** Local IPv4 addresses from /proc/net/fib_trie: a `|-- a.b.c.d` leaf followed by `/32 host LOCAL`. */
export function parseFibTrieLocal(text: string): string[] {
  const found = new Set<string>();
  let leaf: string | undefined;
  for (const line of text.split('\n')) {
    const m = /^\s*\|-- (\d+\.\d+\.\d+\.\d+)\s*$/.exec(line);
    if (m) { leaf = m[1]; continue; }
    if (leaf !== undefined && /^\s*\/32 host LOCAL/.test(line)) found.add(leaf);
  }
  return [...found];
}

export interface RouteEntry { readonly iface: string; readonly network: number; readonly mask: number }

function ipv4ToNumber(address: string): number {
  return address.split('.').reduce((acc, o) => ((acc << 8) | Number(o)) >>> 0, 0);
}

/** /proc/net/route rows (Destination and Mask are in host byte order, like the socket tables). */
export function parseRouteTable(text: string, littleEndian: boolean): RouteEntry[] {
  const out: RouteEntry[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    const dest = decodeAddress(f[1] ?? '', 4, littleEndian);
    const mask = decodeAddress(f[7] ?? '', 4, littleEndian);
    if (f[0] === undefined || dest === undefined || mask === undefined) continue;
    out.push({ iface: f[0], network: ipv4ToNumber(dest), mask: ipv4ToNumber(mask) });
  }
  return out;
}

/** Which interface a local IPv4 address is on: the longest non-default route containing it; lo for 127/8. */
export function interfaceOfIPv4(address: string, routes: readonly RouteEntry[]): string | undefined {
  if (/^127\./.test(address)) return 'lo';
  const ip = ipv4ToNumber(address);
  let best: RouteEntry | undefined;
  for (const r of routes) {
    if (r.mask === 0 || ((ip & r.mask) >>> 0) !== r.network) continue;
    if (!best || r.mask >>> 0 > best.mask >>> 0) best = r;
  }
  return best?.iface;
}
