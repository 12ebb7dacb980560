import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  decodeAddress, formatIPv6Bytes, interfaceOfIPv4, parseCmdline, parseFibTrieLocal, parseIfInet6, parseRouteTable,
  parseSocketLine, parseSocketLink, parseSocketTable, rowKind,
} from '../../../collectors/connection/parse.js';
import { scanTable } from '../../../collectors/connection/socket-table.js';
import { connectionKey, directionOf } from '../../../collectors/connection/events.js';
import { addressSelected, parseDevices } from '../../../collectors/connection/interfaces.js';

const HEADER = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
const V4 = '   1: 0100007F:1F90 0200A8C0:D431 01 00000000:00000000 00:00000000 00000000  1000        0 4242 1 0000000000000000 20 4 30 10 -1';
const V6_LOOP = '   0: 00000000000000000000000001000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 77 1 0';

describe('socket table parsing', () => {
  it('decodes IPv4 words written in little-endian host order', () => {
    expect(decodeAddress('0100007F', 4, true)).toBe('127.0.0.1');
    expect(decodeAddress('7F000001', 4, false)).toBe('127.0.0.1');
  });

  it('decodes IPv6 per 32-bit word and writes it compressed (RFC 5952)', () => {
    expect(decodeAddress('00000000000000000000000001000000', 6, true)).toBe('::1');
    expect(decodeAddress('B80D0120000000000000000001000000', 6, true)).toBe('2001:db8::1');
    expect(decodeAddress('000080FE00000000FF00FC0001003EFE', 6, true)).toBe('fe80::fc:ff:fe3e:1');
    expect(formatIPv6Bytes([0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1])).toBe('1:0:0:1::1');
  });

  it('turns IPv4-mapped IPv6 addresses into plain IPv4', () => {
    expect(decodeAddress('0000000000000000FFFF00000100007F', 6, true)).toBe('127.0.0.1');
  });

  it('reads a full IPv4 line with ports, state, uid and inode', () => {
    expect(parseSocketLine(V4, 'TCP', 4, true)).toEqual({
      protocol: 'TCP', family: 4, state: 1, localAddress: '127.0.0.1', localPort: 8080,
      remoteAddress: '192.168.0.2', remotePort: 54321, uid: 1000, inode: 4242,
    });
  });

  it('skips a malformed line and counts it, keeping the good ones', () => {
    const text = `${HEADER}${V4}\n   2: 0100007F:ZZZZ 00000000:0000 01 x\n   3: truncated\n${V4.replace('4242', '4243')}\n`;
    const { rows, malformed } = parseSocketTable(text, 'TCP', 4, true);
    expect(rows.map((r) => r.inode)).toEqual([4242, 4243]);
    expect(malformed).toBe(2);
  });

  it('scans state and inode of each line without parsing addresses, skipping broken lines', () => {
    const seen: Array<[number, number]> = [];
    scanTable(`${HEADER}${V4}\n   2: junk\n${V6_LOOP}\n`, (state, inode) => seen.push([state, inode]));
    expect(seen).toEqual([[1, 4242], [10, 77]]);
  });

  it('finds the same state and inode as the full parser on every line of this host\'s tables, padding and all', () => {
    const padded = `${V4}${' '.repeat(20)}`; // the kernel pads tcp lines to a fixed width
    const tables = ['tcp', 'tcp6', 'udp', 'udp6'].map((f) => { try { return readFileSync(`/proc/net/${f}`, 'latin1'); } catch { return ''; } });
    for (const text of [`${HEADER}${padded}\n${V6_LOOP}`, `${HEADER}${V4}\n\n${V6_LOOP}  \n`, ...tables]) {
      const scanned: Array<[number, number]> = [];
      scanTable(text, (state, inode) => scanned.push([state, inode]));
      const lines = text.split('\n').slice(1).filter((l) => l.trim() !== '');
      const parsed = lines.map((l) => parseSocketLine(l, 'TCP', 4, true) ?? parseSocketLine(l, 'TCP', 6, true));
      expect(scanned).toEqual(parsed.map((r) => [r?.state, r?.inode]));
    }
  });

  it('classifies listeners and connections for TCP and UDP', () => {
    expect(rowKind('TCP', 10)).toBe('listen');
    expect(rowKind('TCP', 1)).toBe('connection');
    expect(rowKind('TCP', 8)).toBe('connection'); // CLOSE_WAIT: it was established
    expect(rowKind('TCP', 2)).toBe('other'); // SYN_SENT: not yet a connection
    expect(rowKind('TCP', 6)).toBe('other');
    expect(rowKind('UDP', 1)).toBe('connection'); // connect()ed UDP
    expect(rowKind('UDP', 7)).toBe('listen');
  });
});

describe('procfs helpers', () => {
  it('reads socket fd links and ignores other fds', () => {
    expect(parseSocketLink('socket:[123]')).toBe(123);
    expect(parseSocketLink('pipe:[123]')).toBeUndefined();
    expect(parseSocketLink('/dev/null')).toBeUndefined();
  });

  it('joins a NUL-separated command line', () => {
    expect(parseCmdline('curl\0-s\0http://x\0')).toBe('curl -s http://x');
  });

  it('maps local IPv4 addresses to interfaces through fib_trie and the route table', () => {
    const fib = 'Local:\n  +-- 0.0.0.0/0 3 0 5\n     |-- 192.0.2.2\n        /32 host LOCAL\n     |-- 192.0.2.255\n        /32 link BROADCAST\n';
    const routes = parseRouteTable('Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\nwlan0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\n', true);
    expect(parseFibTrieLocal(fib)).toEqual(['192.0.2.2']);
    expect(interfaceOfIPv4('192.0.2.2', routes)).toBe('wlan0');
    expect(interfaceOfIPv4('127.0.0.1', routes)).toBe('lo');
    expect(interfaceOfIPv4('10.0.0.1', routes)).toBeUndefined();
  });

  it('reads IPv6 interface addresses from if_inet6 (network byte order)', () => {
    expect(parseIfInet6('fe800000000000000000000000000001 02 40 20 80     eth0\n')).toEqual([['eth0', 'fe80::1']]);
  });
});

describe('direction, aggregation key and address selection', () => {
  const inbound = parseSocketLine(V4, 'TCP', 4, true)!;
  it('is In when the local port is listened on, Out otherwise', () => {
    expect(directionOf(inbound, new Set(['TCP:8080']))).toBe('In');
    expect(directionOf(inbound, new Set(['UDP:8080']))).toBe('Out');
  });

  it('leaves the ephemeral remote port out of an inbound key so a scan aggregates', () => {
    const other = { ...inbound, remotePort: 60000, inode: 1 };
    expect(connectionKey(other, 'In')).toBe(connectionKey(inbound, 'In'));
    expect(connectionKey({ ...inbound, remoteAddress: '192.168.0.3' }, 'In')).not.toBe(connectionKey(inbound, 'In'));
    expect(connectionKey(inbound, 'In')).not.toBe(connectionKey(inbound, 'Out'));
  });

  it('keeps the remote service port in an outbound key and drops the ephemeral local port', () => {
    const a = { ...inbound, localPort: 40000, remotePort: 443 };
    expect(connectionKey({ ...a, localPort: 40001 }, 'Out')).toBe(connectionKey(a, 'Out'));
    expect(connectionKey({ ...a, remotePort: 8883 }, 'Out')).not.toBe(connectionKey(a, 'Out'));
  });

  it('selects by interface address, loopback only when asked, and everything with any', () => {
    const table = { names: new Set(['lo', 'eth0', 'wlan0']), byAddress: new Map([['192.0.2.2', 'eth0'], ['10.0.0.2', 'wlan0']]) };
    const eth0 = { devices: parseDevices('eth0'), includeLoopback: false };
    expect(addressSelected('192.0.2.2', '198.51.100.1', eth0, table)).toBe(true);
    expect(addressSelected('10.0.0.2', '198.51.100.1', eth0, table)).toBe(false);
    expect(addressSelected('127.0.0.1', '127.0.0.1', eth0, table)).toBe(false);
    expect(addressSelected('127.0.0.1', '127.0.0.1', { ...eth0, includeLoopback: true }, table)).toBe(true);
    expect(addressSelected('0.0.0.0', '0.0.0.0', eth0, table)).toBe(true);
    expect(addressSelected('10.0.0.2', '198.51.100.1', { devices: parseDevices('any'), includeLoopback: false }, table)).toBe(true);
    expect(addressSelected('0.0.0.0', '0.0.0.0', { devices: parseDevices('eth9'), includeLoopback: false }, table)).toBe(false);
  });
});
