/** Attacker-controlled text (user names, hosts, terminals) made bounded, valid UTF-8 and printable. */
import { isIP } from 'node:net';

/** Caps in characters, after escaping; the README lists them. */
export const CAPS = {
  user: 128,
  host: 256,
  terminal: 64,
  program: 64,
  method: 64,
  detail: 256,
} as const;

/** A log line longer than this is cut before parsing (sshd itself truncates user and host to 100/200). */
export const MAX_LINE_BYTES = 8192;

const utf8 = new TextDecoder('utf-8', { fatal: false });

/** Bytes up to the first NUL, decoded with U+FFFD for invalid sequences. */
export function decodeCString(bytes: Uint8Array): string {
  const nul = bytes.indexOf(0);
  return utf8.decode(nul < 0 ? bytes : bytes.subarray(0, nul));
}

export function decodeBytes(bytes: Uint8Array): string {
  return utf8.decode(bytes);
}

/** Code points that could break a log line, a terminal or the reading order of a message. */
function isUnsafe(cp: number): boolean {
  return (
    cp < 0x20 ||
    (cp >= 0x7f && cp <= 0x9f) ||
    cp === 0x2028 ||
    cp === 0x2029 ||
    (cp >= 0x202a && cp <= 0x202e) ||
    (cp >= 0x2066 && cp <= 0x2069) ||
    cp === 0x200e ||
    cp === 0x200f ||
    cp === 0xfeff ||
    (cp >= 0xd800 && cp <= 0xdfff)
  );
}

function escapeCodePoint(cp: number): string {
  return cp <= 0xff ? `\\x${cp.toString(16).padStart(2, '0')}` : `\\u{${cp.toString(16)}}`;
}

/**
 * Escapes control, separator and bidi characters (`\xNN`, `\u{NNNN}`, and `\\` for a backslash, so the
 * escaping is unambiguous) and cuts the result to `cap` characters, marking a cut with `…`.
 */
export function boundedText(input: string, cap: number): string {
  let out = '';
  let length = 0;
  for (const ch of input) {
    const cp = ch.codePointAt(0) ?? 0xfffd;
    const piece = ch === '\\' ? '\\\\' : isUnsafe(cp) ? escapeCodePoint(cp) : ch;
    const pieceLength = [...piece].length;
    if (length + pieceLength > cap) return `${[...out].slice(0, cap - 1).join('')}…`;
    out += piece;
    length += pieceLength;
  }
  return out;
}

/** The address in the form the schema's `format: ipv4|ipv6` accepts, or undefined. */
export function ipAddressOf(host: string | undefined): string | undefined {
  if (host === undefined || host.includes('%')) return undefined;
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return isIP(bare) === 0 ? undefined : bare.toLowerCase();
}
