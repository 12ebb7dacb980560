import { describe, expect, it } from 'vitest';
import { createSystemInformationCollector } from '../../collectors/system-information/index.js';
import { systemInformationPayload, type HostFacts } from '../../collectors/system-information/parse.js';
import { collectorOptions, recordingSink } from '../support/collector-harness.js';
import { expectSampleEvent } from '../support/golden.js';

const FACTS: HostFacts = {
  os: { distro: 'Debian GNU/Linux', release: '12', codename: 'bookworm', kernel: '6.1.0-18-arm64', arch: 'arm64', hostname: 'gw-17', platform: 'linux' },
  mem: { total: 2 * 1024 ** 3, free: 512 * 1024 ** 2, available: 1024 ** 3, swaptotal: 0, swapfree: 0 },
  bios: { vendor: '', version: '' },
  system: { manufacturer: '-', model: 'Raspberry Pi 4', serial: '-' },
};

describe('SystemInformation collector', () => {
  it('maps host facts to the official payload fields, in KB, leaving out unknowns', () => {
    const p = systemInformationPayload(FACTS, {}, '1.2.3');
    expect(p).toMatchObject({
      OSName: 'Debian GNU/Linux', OSVersion: '12 bookworm', OsArchitecture: 'arm64', HostName: 'gw-17',
      TotalPhysicalMemoryInKB: 2 * 1024 ** 2, FreePhysicalMemoryInKB: 1024 ** 2,
    });
    expect(p['BIOSVersion']).toBeUndefined();
    expect(p['ExtraDetails']).toEqual({ KernelVersion: '6.1.0-18-arm64', AgentType: 'Standalone', AgentVersion: '1.2.3', HardwareModel: 'Raspberry Pi 4' });
  });

  it('lets the twin override hardware and firmware facts', () => {
    const p = systemInformationPayload(FACTS, { HardwareVendor: 'Contoso', FirmwareVersion: '4.2' }, '1.2.3');
    expect(p['ExtraDetails']).toMatchObject({ HardwareVendor: 'Contoso', FirmwareVersion: '4.2', HardwareModel: 'Raspberry Pi 4' });
  });

  it('reports this host through systeminformation', async () => {
    const c = createSystemInformationCollector(collectorOptions({ settings: { SystemInformation_HardwareVendor: 'Contoso' } }));
    const sink = recordingSink();
    await c.collect?.(sink);
    await c.stop();
    expect(sink.errors).toEqual([]);
    expect(sink.events).toHaveLength(1);
    const ev = sink.events[0]!;
    expect(ev).toMatchObject({ name: 'SystemInformation', category: 'Periodic', eventType: 'Security' });
    expect(ev.payload[0]?.['TotalPhysicalMemoryInKB']).toBeGreaterThan(0);
    expectSampleEvent('system-information', ev, 'live');
  });
});
