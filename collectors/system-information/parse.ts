/** Maps what systeminformation reports to the official SystemInformation payload. */
import type { PayloadItem } from '../../src/events/event.js';

export interface HostFacts {
  os: { distro: string; release: string; codename?: string; kernel: string; arch: string; hostname: string; platform: string };
  mem: { total: number; free: number; available?: number; swaptotal: number; swapfree: number };
  bios: { vendor: string; version: string };
  system: { manufacturer: string; model: string; serial: string };
  blockDevices?: { name: string; mount: string; type: string }[];
}

export type HardwareOverrides = Partial<Record<'HardwareVendor' | 'HardwareModel' | 'HardwareSerialNumber' | 'FirmwareVendor' | 'FirmwareVersion', string>>;

const kb = (bytes: number): number => Math.max(0, Math.round(bytes / 1024));
/** systeminformation reports '-' or '' for unknown values; neither is worth sending. */
const known = (v: string | undefined): v is string => v !== undefined && v !== '' && v !== '-';

export function systemInformationPayload(facts: HostFacts, overrides: HardwareOverrides, agentVersion: string): PayloadItem {
  const extra: Record<string, string> = { KernelVersion: facts.os.kernel, AgentType: 'Standalone', AgentVersion: agentVersion };
  const hw: HardwareOverrides = {
    HardwareVendor: facts.system.manufacturer,
    HardwareModel: facts.system.model,
    HardwareSerialNumber: facts.system.serial,
    FirmwareVendor: facts.bios.vendor,
    FirmwareVersion: facts.bios.version,
    ...Object.fromEntries(Object.entries(overrides).filter(([, v]) => known(v))),
  };
  for (const [k, v] of Object.entries(hw)) if (known(v)) extra[k] = v;
  const boot = facts.blockDevices?.find((d) => d.mount === '/boot' || d.mount === '/');
  const item: PayloadItem = {
    OSName: facts.os.distro || facts.os.platform,
    OSVersion: [facts.os.release, facts.os.codename].filter(known).join(' ') || facts.os.kernel,
    OSVendor: facts.os.distro.split(' ')[0] || facts.os.platform,
    OsArchitecture: facts.os.arch,
    HostName: facts.os.hostname,
    TotalPhysicalMemoryInKB: kb(facts.mem.total),
    FreePhysicalMemoryInKB: kb(facts.mem.available ?? facts.mem.free),
    TotalVirtualMemoryInKB: kb(facts.mem.total + facts.mem.swaptotal),
    FreeVirtualMemoryInKB: kb((facts.mem.available ?? facts.mem.free) + facts.mem.swapfree),
    ExtraDetails: extra,
  };
  if (known(facts.bios.version)) item['BIOSVersion'] = facts.bios.version;
  if (boot) item['BootDevice'] = boot.name;
  return item;
}
