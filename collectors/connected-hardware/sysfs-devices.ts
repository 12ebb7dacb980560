/** USB and PCI devices from `<hostRoot>/sys/bus/{usb,pci}/devices`: a readdir per poll, attributes read once per device. */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { PayloadItem } from '../../src/events/event.js';

export interface HardwareDevice {
  /** `usb:1-1.2`, `pci:0000:00:02.0`: unique while attached. */
  readonly key: string;
  readonly bus: 'USB' | 'PCI';
  readonly subCategory: string;
  readonly name: string;
  readonly details: Readonly<Record<string, string>>;
}

const USB_CLASSES: Readonly<Record<string, string>> = {
  '01': 'Audio', '02': 'Communications', '03': 'Human Interface Device', '05': 'Physical', '06': 'Image', '07': 'Printer',
  '08': 'Mass Storage', '09': 'Hub', '0a': 'CDC Data', '0b': 'Smart Card', '0d': 'Content Security', '0e': 'Video',
  '0f': 'Personal Healthcare', '10': 'Audio/Video', '11': 'Billboard', 'dc': 'Diagnostic', 'e0': 'Wireless Controller',
  'ef': 'Miscellaneous', 'fe': 'Application Specific', 'ff': 'Vendor Specific',
};

const PCI_CLASSES: Readonly<Record<string, string>> = {
  '00': 'Unclassified', '01': 'Mass Storage Controller', '02': 'Network Controller', '03': 'Display Controller',
  '04': 'Multimedia Controller', '05': 'Memory Controller', '06': 'Bridge', '07': 'Communication Controller',
  '08': 'System Peripheral', '09': 'Input Device Controller', '0a': 'Docking Station', '0b': 'Processor',
  '0c': 'Serial Bus Controller', '0d': 'Wireless Controller', '0e': 'Intelligent Controller', '0f': 'Satellite Communication Controller',
  '10': 'Encryption Controller', '11': 'Signal Processing Controller', '12': 'Processing Accelerator', 'ff': 'Unassigned',
};

function attr(dir: string, name: string): string | undefined {
  try {
    return readFileSync(join(dir, name), 'utf8').slice(0, 256).trim();
  } catch {
    return undefined;
  }
}

function list(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

/** Names of the entries now present: the cheap part of a poll. */
/** The directories presentKeys() lists. */
export function busDirs(hostRoot: string): string[] {
  return [join(hostRoot, 'sys/bus/usb/devices'), join(hostRoot, 'sys/bus/pci/devices')];
}

export function presentKeys(hostRoot: string): string[] {
  const [usbDir, pciDir] = busDirs(hostRoot) as [string, string];
  const usb = list(usbDir).filter((n) => !n.includes(':')).map((n) => `usb:${n}`);
  const pci = list(pciDir).map((n) => `pci:${n}`);
  return [...usb, ...pci];
}

/** A device's attributes; undefined when it vanished or is not a device (a USB interface). */
export function readDevice(hostRoot: string, key: string): HardwareDevice | undefined {
  const [bus, ...rest] = key.split(':');
  const id = rest.join(':');
  if (bus === 'usb') {
    const dir = join(hostRoot, 'sys/bus/usb/devices', id);
    const vendor = attr(dir, 'idVendor');
    if (vendor === undefined) return undefined;
    const product = attr(dir, 'idProduct') ?? '';
    let cls = (attr(dir, 'bDeviceClass') ?? '00').toLowerCase();
    // Class 00: each interface says what it is; the first interface's class stands for the device.
    if (cls === '00') cls = (list(dir).filter((n) => n.startsWith(`${id}:`)).map((n) => attr(join(dir, n), 'bInterfaceClass')).find((c) => c !== undefined) ?? '00').toLowerCase();
    const names = [attr(dir, 'manufacturer'), attr(dir, 'product')].filter((s): s is string => !!s);
    const details: Record<string, string> = { Bus: 'usb', DeviceId: id, VendorId: vendor, ProductId: product, Class: cls };
    const busnum = attr(dir, 'busnum');
    const devnum = attr(dir, 'devnum');
    if (busnum) details['BusNumber'] = busnum;
    if (devnum) details['DeviceNumber'] = devnum;
    return { key, bus: 'USB', subCategory: USB_CLASSES[cls] ?? `Class ${cls}`, name: names.length > 0 ? names.join(' ') : `USB device ${vendor}:${product}`, details };
  }
  if (bus === 'pci') {
    const dir = join(hostRoot, 'sys/bus/pci/devices', id);
    const vendor = attr(dir, 'vendor');
    if (vendor === undefined) return undefined;
    const device = attr(dir, 'device') ?? '';
    const cls = (attr(dir, 'class') ?? '0x000000').replace(/^0x/, '').padStart(6, '0').toLowerCase();
    const base = cls.slice(0, 2);
    const details: Record<string, string> = { Bus: 'pci', DeviceId: id, VendorId: vendor.replace(/^0x/, ''), ProductId: device.replace(/^0x/, ''), Class: cls };
    return { key, bus: 'PCI', subCategory: PCI_CLASSES[base] ?? `Class ${base}`, name: `PCI device ${details['VendorId'] ?? ''}:${details['ProductId'] ?? ''}`, details };
  }
  return undefined;
}

export function toPayloadItem(d: HardwareDevice, action?: 'Attached' | 'Detached'): PayloadItem {
  return {
    HardwareCategory: d.bus, HardwareSubCategory: d.subCategory, HardwareName: d.name,
    ExtraDetails: action === undefined ? { ...d.details } : { ...d.details, Action: action },
  };
}
