/**
 * Interface names and their addresses in one network namespace, from procfs (so it works under any
 * hostRoot and inside other namespaces): dev for names, if_inet6 for IPv6, fib_trie + route for IPv4.
 */
import { readFileSync } from 'node:fs';
import { interfaceOfIPv4, isLoopback, isWildcard, parseFibTrieLocal, parseIfInet6, parseRouteTable } from './parse.js';

export interface InterfaceTable {
  /** Every interface of the namespace, with or without an address. */
  readonly names: ReadonlySet<string>;
  /** Local address -> interface name. */
  readonly byAddress: ReadonlyMap<string, string>;
}

function readOptional(path: string): string {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return '';
  }
}

/** `/proc/net/dev`: two header lines, then `  eth0: <counters>`. */
export function parseNetDevNames(text: string): string[] {
  return text.split('\n').slice(2).map((l) => l.split(':')[0]?.trim() ?? '').filter((n) => n !== '');
}

export function readInterfaces(netDir: string, littleEndian: boolean): InterfaceTable {
  const names = new Set(parseNetDevNames(readOptional(`${netDir}/dev`)));
  const byAddress = new Map<string, string>();
  for (const [name, address] of parseIfInet6(readOptional(`${netDir}/if_inet6`))) {
    byAddress.set(address, name);
    names.add(name);
  }
  const routes = parseRouteTable(readOptional(`${netDir}/route`), littleEndian);
  for (const address of parseFibTrieLocal(readOptional(`${netDir}/fib_trie`))) {
    const name = interfaceOfIPv4(address, routes);
    if (name !== undefined) byAddress.set(address, name);
  }
  return { names, byAddress };
}

/** `NetworkActivity_Devices`: `any` (or `*`) means every interface; otherwise a comma-separated list. */
export interface DeviceSelection {
  readonly all: boolean;
  readonly names: readonly string[];
}

export function parseDevices(value: string): DeviceSelection {
  const names = value.split(',').map((n) => n.trim()).filter((n) => n !== '');
  return { all: names.some((n) => n === 'any' || n === '*'), names };
}

/** Listed interfaces that the namespace does not have. */
export function missingDevices(selection: DeviceSelection, table: InterfaceTable): string[] {
  return selection.all ? [] : selection.names.filter((n) => !table.names.has(n));
}

export interface AddressPolicy {
  readonly devices: DeviceSelection;
  readonly includeLoopback: boolean;
}

/** Linux's loopback interface, whatever the namespace. */
export const LOOPBACK_DEVICE = 'lo';

/** Naming `lo` records loopback, as IncludeLoopback does (with `any` or any other list). */
export function loopbackSelected(policy: AddressPolicy): boolean {
  return policy.includeLoopback || policy.devices.names.includes(LOOPBACK_DEVICE);
}

/**
 * Whether a socket with this local address is reported. Loopback (127/8, ::1) goes by `lo` in the
 * list or IncludeLoopback; a wildcard (listener on all interfaces) passes when any listed interface
 * exists; anything else must be an address of a listed interface.
 */
export function addressSelected(local: string, remote: string, policy: AddressPolicy, table: InterfaceTable): boolean {
  if (isLoopback(local) || isLoopback(remote)) return loopbackSelected(policy);
  if (policy.devices.all) return true;
  if (isWildcard(local)) return policy.devices.names.some((n) => table.names.has(n));
  const name = table.byAddress.get(local);
  return name !== undefined && policy.devices.names.includes(name);
}
