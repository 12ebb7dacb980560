/**
 * systeminformation reads the files of the process's own root: in a container that is the image, not the
 * host. With the host mounted elsewhere (hostRoot, `/host` under IoT Edge) its OS, name, kernel, memory,
 * DMI identity and boot mount are read from there instead; what the host root does not show is kept.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { HostFacts } from './parse.js';

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** `KEY=value` lines (os-release) or `Key:  123 kB` lines (meminfo) as a map. */
function fields(text: string | undefined, separator: '=' | ':'): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of (text ?? '').split('\n')) {
    const at = line.indexOf(separator);
    if (at <= 0) continue;
    out.set(line.slice(0, at).trim(), line.slice(at + 1).trim().replace(/^(["'])(.*)\1$/, '$2'));
  }
  return out;
}

const firstLine = (text: string | undefined): string | undefined => text?.split('\n')[0]?.trim() || undefined;

export async function factsUnderHostRoot(facts: HostFacts, hostRoot: string): Promise<HostFacts> {
  const at = (rel: string): Promise<string | undefined> => readText(join(hostRoot, rel));
  const dmi = (name: string): Promise<string | undefined> => at(`sys/devices/virtual/dmi/id/${name}`).then(firstLine);
  const [etcRelease, libRelease, hostname, kernel, meminfo, vendor, product, serial, biosVendor, biosVersion] = await Promise.all([
    at('etc/os-release'), at('usr/lib/os-release'), at('etc/hostname').then(firstLine), at('proc/sys/kernel/osrelease').then(firstLine),
    at('proc/meminfo'), dmi('sys_vendor'), dmi('product_name'), dmi('product_serial'), dmi('bios_vendor'), dmi('bios_version'),
  ]);
  const release = fields(etcRelease ?? libRelease, '=');
  const mem = fields(meminfo, ':');
  const bytes = (key: string, fallback: number): number => {
    const kb = /^(\d+)\s*kB$/.exec(mem.get(key) ?? '')?.[1];
    return kb === undefined ? fallback : Number(kb) * 1024;
  };
  const memAvailable = bytes('MemAvailable', facts.mem.available ?? -1);
  return {
    os: {
      ...facts.os,
      // The host's os-release decides all three; none of them may come from the container's image.
      ...(release.size > 0 ? { distro: release.get('NAME') ?? '', release: release.get('VERSION_ID') ?? '', codename: release.get('VERSION_CODENAME') ?? '' } : {}),
      hostname: hostname ?? facts.os.hostname,
      kernel: kernel ?? facts.os.kernel,
    },
    mem: {
      total: bytes('MemTotal', facts.mem.total), free: bytes('MemFree', facts.mem.free),
      swaptotal: bytes('SwapTotal', facts.mem.swaptotal), swapfree: bytes('SwapFree', facts.mem.swapfree),
      ...(memAvailable >= 0 ? { available: memAvailable } : {}),
    },
    bios: { vendor: biosVendor ?? facts.bios.vendor, version: biosVersion ?? facts.bios.version },
    system: { manufacturer: vendor ?? facts.system.manufacturer, model: product ?? facts.system.model, serial: serial ?? facts.system.serial },
    // Mount points as the host sees them; the container's own mounts (its overlay root) are not the host's.
    blockDevices: (facts.blockDevices ?? []).map((d) => ({ ...d, mount: hostMount(d.mount, hostRoot) })),
  };
}

function hostMount(mount: string, hostRoot: string): string {
  const root = hostRoot.replace(/\/+$/, '');
  if (mount === root) return '/';
  return mount.startsWith(`${root}/`) ? mount.slice(root.length) : '';
}
