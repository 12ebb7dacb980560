/** The Linux utmp/wtmp/btmp record, glibc layout on x86_64 and aarch64: 384 bytes, little-endian. */
import { CAPS, boundedText, decodeCString, ipAddressOf } from './text-bounds.js';

export const UTMP_RECORD_SIZE = 384;

export const UtmpType = {
  EMPTY: 0,
  RUN_LVL: 1,
  BOOT_TIME: 2,
  NEW_TIME: 3,
  OLD_TIME: 4,
  INIT_PROCESS: 5,
  LOGIN_PROCESS: 6,
  USER_PROCESS: 7,
  DEAD_PROCESS: 8,
  ACCOUNTING: 9,
} as const;

export interface UtmpRecord {
  readonly type: number;
  readonly pid: number;
  /** Terminal, e.g. `pts/0`, `tty1`, `ssh:notty`; bounded and printable. */
  readonly line: string;
  readonly id: string;
  readonly user: string;
  readonly host: string;
  /** From ut_addr_v6, else from ut_host when that is an address. */
  readonly address?: string;
  readonly timeMs: number;
}

export type UtmpParse = { kind: 'record'; record: UtmpRecord } | { kind: 'empty' } | { kind: 'garbage'; reason: string };

/** Field offsets of struct utmp (bits/utmp.h with __WORDSIZE_TIME64_COMPAT32). */
const OFF = { type: 0, pid: 4, line: 8, id: 40, user: 44, host: 76, tvSec: 340, tvUsec: 344, addr: 348 } as const;

export function parseUtmpRecord(buf: Buffer, at = 0): UtmpParse {
  if (buf.length - at < UTMP_RECORD_SIZE) return { kind: 'garbage', reason: 'truncated record' };
  const rec = buf.subarray(at, at + UTMP_RECORD_SIZE);
  const type = rec.readInt16LE(OFF.type);
  if (type === UtmpType.EMPTY) return { kind: 'empty' };
  if (type < UtmpType.RUN_LVL || type > UtmpType.ACCOUNTING) return { kind: 'garbage', reason: `type ${type}` };
  const pid = rec.readInt32LE(OFF.pid);
  const tvUsec = rec.readInt32LE(OFF.tvUsec);
  if (pid < 0 || tvUsec < 0 || tvUsec >= 1_000_000) return { kind: 'garbage', reason: 'pid or time out of range' };
  // unsigned: the on-disk 32-bit seconds stay meaningful past 2038
  const timeMs = rec.readUInt32LE(OFF.tvSec) * 1000 + Math.floor(tvUsec / 1000);
  const host = boundedText(decodeCString(rec.subarray(OFF.host, OFF.host + 256)), CAPS.host);
  const address = addressOf(rec.subarray(OFF.addr, OFF.addr + 16)) ?? ipAddressOf(host);
  const record: UtmpRecord = {
    type,
    pid,
    line: boundedText(decodeCString(rec.subarray(OFF.line, OFF.line + 32)), CAPS.terminal),
    id: boundedText(decodeCString(rec.subarray(OFF.id, OFF.id + 4)), 8),
    user: boundedText(decodeCString(rec.subarray(OFF.user, OFF.user + 32)), CAPS.user),
    host,
    timeMs,
    ...(address === undefined ? {} : { address }),
  };
  return { kind: 'record', record };
}

/** ut_addr_v6: IPv4 in the first word when the other three are zero, else IPv6; all zero means none. */
export function addressOf(addr: Uint8Array): string | undefined {
  if (addr.every((b) => b === 0)) return undefined;
  if (addr.subarray(4).every((b) => b === 0)) return Array.from(addr.subarray(0, 4)).join('.');
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((addr[i] ?? 0) << 8) | (addr[i + 1] ?? 0));
  return formatIpv6(groups);
}

/** RFC 5952 text form: the longest run of two or more zero groups becomes `::`. */
function formatIpv6(groups: number[]): string {
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < groups.length; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === 0) j++;
    if (j - i > bestLen) [bestStart, bestLen] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}
