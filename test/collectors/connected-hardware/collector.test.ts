import { cpSync, mkdtempSync, renameSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { loadChangeGate } from '../../../collectors/change-gate.js';
import { FULL_REPORT_EVERY_MS, POLL_INTERVAL_MS, createConnectedHardwareCollector, snapshotHardware } from '../../../collectors/connected-hardware/index.js';
import { toPayloadItem } from '../../../collectors/connected-hardware/sysfs-devices.js';
import { collectorOptions, recordingSink } from '../../support/collector-harness.js';
import { expectSampleEvent } from '../../support/golden.js';
import { FakeClock } from '../../support/fake-clock.js';
import { officialEventProblems } from '../../support/official-conformance.js';
import { HAS_SHARED } from '../../support/shared-reference.js';
import { TimerLog } from '../../support/timer-log.js';

const FIXTURE = resolve(import.meta.dirname, '../../fixtures/connected-hardware');
const made: string[] = [];
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

function plugStick(root: string, at = join(root, 'sys/bus/usb/devices/1-2')): string {
  const dir = at;
  mkdirSync(join(dir, '1-2:1.0'), { recursive: true });
  const attrs: Record<string, string> = { idVendor: '0781', idProduct: '5567', bDeviceClass: '00', manufacturer: 'SanDisk', product: 'Cruzer Blade', busnum: '1', devnum: '3' };
  for (const [k, v] of Object.entries(attrs)) writeFileSync(join(dir, k), `${v}\n`);
  writeFileSync(join(dir, '1-2:1.0/bInterfaceClass'), '08\n');
  return dir;
}

describe('the ConnectedHardware (Peripheral) collector', () => {
  it('lists USB devices (not interfaces) and PCI devices with vendor, product and class', () => {
    expect(snapshotHardware(FIXTURE).map((d) => toPayloadItem(d))).toEqual([
      { HardwareCategory: 'USB', HardwareSubCategory: 'Human Interface Device', HardwareName: 'Logitech USB Keyboard',
        ExtraDetails: { Bus: 'usb', DeviceId: '1-1', VendorId: '046d', ProductId: 'c31c', Class: '03', BusNumber: '1', DeviceNumber: '2' } },
      { HardwareCategory: 'USB', HardwareSubCategory: 'Hub', HardwareName: 'Linux 6.1.0 xhci-hcd xHCI Host Controller',
        ExtraDetails: { Bus: 'usb', DeviceId: 'usb1', VendorId: '1d6b', ProductId: '0002', Class: '09', BusNumber: '1', DeviceNumber: '1' } },
      { HardwareCategory: 'PCI', HardwareSubCategory: 'Display Controller', HardwareName: 'PCI device 8086:3e92',
        ExtraDetails: { Bus: 'pci', DeviceId: '0000:00:02.0', VendorId: '8086', ProductId: '3e92', Class: '030000' } },
    ]);
  });

  it('sends the inventory at the first interval, then a USB stick plugged in and pulled out as Attached and Detached events', async () => {
    const root = mkdtempSync(join(tmpdir(), 'hardware-'));
    made.push(root);
    cpSync(FIXTURE, root, { recursive: true });
    const clock = new FakeClock();
    const c = createConnectedHardwareCollector(collectorOptions({ hostRoot: root, clock }));
    const sink = recordingSink();
    await c.start?.(sink);
    await c.collect?.(sink);
    expect(sink.events[0]?.payload).toHaveLength(3);
    const stick = plugStick(root);
    await clock.advance(POLL_INTERVAL_MS);
    expect(sink.events[1]?.payload).toEqual([expect.objectContaining({ HardwareCategory: 'USB', HardwareSubCategory: 'Mass Storage', HardwareName: 'SanDisk Cruzer Blade' })]);
    expect((sink.events[1]?.payload[0]?.['ExtraDetails'] as Record<string, string>)['Action']).toBe('Attached');
    await c.collect?.(sink);
    expect(sink.events).toHaveLength(2);
    rmSync(stick, { recursive: true });
    await clock.advance(POLL_INTERVAL_MS);
    expect((sink.events[2]?.payload[0]?.['ExtraDetails'] as Record<string, string>)).toMatchObject({ Action: 'Detached', DeviceId: '1-2' });
    await clock.advance(FULL_REPORT_EVERY_MS);
    await c.collect?.(sink);
    expect(sink.events.at(-1)?.payload).toHaveLength(3);
    await c.stop();
    const after = sink.events.length;
    plugStick(root);
    await clock.advance(POLL_INTERVAL_MS * 3);
    expect(sink.events).toHaveLength(after);
    if (HAS_SHARED) expect(officialEventProblems(sink.events)).toEqual([]);
    expectSampleEvent('connected-hardware', { ...sink.events[1]!, time: Date.UTC(2026, 0, 1) }, 'exact');
  });

  it('reads the real /sys of this machine without error', () => {
    for (const d of snapshotHardware('/')) expect(d.name).not.toBe('');
  });
});

const gate = process.platform === 'linux' ? loadChangeGate() : undefined;

describe.skipIf(gate === undefined)('the Peripheral collector woken by the change gate (skipped: the cn-proc addon does not load here)', () => {
  it('keeps no timer of its own and still reports a device plugged in and pulled out', async () => {
    const root = mkdtempSync(join(tmpdir(), 'hardware-gated-'));
    made.push(root);
    cpSync(FIXTURE, root, { recursive: true });
    const clock = new TimerLog();
    const c = createConnectedHardwareCollector(collectorOptions({ hostRoot: root, clock, ...(gate ? { changeGate: gate } : {}) }));
    const sink = recordingSink();
    await c.start?.(sink);
    try {
      expect(clock.intervals()).toEqual([]);
      expect(c.status?.().detail).toMatch(/off the event loop/);
      // The kernel shows a device's directory with its attributes: built aside, then moved in.
      const stick = plugStick(root, join(root, 'staging-1-2'));
      renameSync(stick, join(root, 'sys/bus/usb/devices/1-2'));
      await vi.waitFor(() => expect(sink.events.map((e) => e.payload[0]?.['ExtraDetails'])).toEqual([expect.objectContaining({ Action: 'Attached', DeviceId: '1-2' })]), { timeout: 10_000, interval: 50 });
      expect(sink.events[0]?.payload[0]).toMatchObject({ HardwareName: 'SanDisk Cruzer Blade' });
      rmSync(join(root, 'sys/bus/usb/devices/1-2'), { recursive: true });
      await vi.waitFor(() => expect(sink.events[1]?.payload[0]?.['ExtraDetails']).toMatchObject({ Action: 'Detached', DeviceId: '1-2' }), { timeout: 10_000, interval: 50 });
    } finally {
      await c.stop();
    }
  });

  it('polls on its timer, and says so, when the gate refuses the listings', async () => {
    const clock = new TimerLog();
    const refusing = { watch: (): never => { throw new Error('watchFiles: cannot start the thread'); } };
    const c = createConnectedHardwareCollector(collectorOptions({ hostRoot: FIXTURE, clock, changeGate: refusing }));
    const sink = recordingSink();
    await c.start?.(sink);
    try {
      expect(clock.intervals()).toEqual([POLL_INTERVAL_MS]);
      expect(c.status?.().detail).toMatch(/^polling \/sys/);
      expect(sink.errors).toEqual([expect.stringContaining('change gate refused the /sys listings')]);
    } finally {
      await c.stop();
    }
  });
});
