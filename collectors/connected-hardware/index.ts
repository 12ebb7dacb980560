/**
 * ConnectedHardware (twin name Peripheral): USB and PCI devices from sysfs. A cheap poll (one readdir per bus)
 * sees attach and detach within POLL_INTERVAL_MS and emits each as it happens; the full inventory is sent at
 * the first send interval after a (re)start and once a day.
 */
import type { Collector, CollectorFactory, CollectorStatus, EventSink } from '../types.js';
import type { Cancel } from '../../src/clock.js';
import { busDirs, presentKeys, readDevice, toPayloadItem, type HardwareDevice } from './sysfs-devices.js';

export const POLL_INTERVAL_MS = 2_000;
export const FULL_REPORT_EVERY_MS = 24 * 60 * 60 * 1000;

export function snapshotHardware(hostRoot: string): HardwareDevice[] {
  return presentKeys(hostRoot).map((k) => readDevice(hostRoot, k)).filter((d): d is HardwareDevice => d !== undefined);
}

export const createConnectedHardwareCollector: CollectorFactory = ({ hostRoot, clock, changeGate }) => {
  const known = new Map<string, HardwareDevice | undefined>();
  let lastFullAt: number | undefined;
  let cancel: Cancel | undefined;
  let stopped = false;

  /** Devices appeared and gone since the last poll; a present entry is read once. */
  const poll = (out: EventSink | undefined): void => {
    const keys = new Set(presentKeys(hostRoot));
    for (const key of keys) {
      if (known.has(key)) continue;
      const device = readDevice(hostRoot, key);
      known.set(key, device);
      if (device && out) out.emit({ name: 'ConnectedHardware', category: 'Periodic', eventType: 'Security', time: clock.now(), payload: [toPayloadItem(device, 'Attached')] });
    }
    for (const [key, device] of known) {
      if (keys.has(key)) continue;
      known.delete(key);
      if (device && out) out.emit({ name: 'ConnectedHardware', category: 'Periodic', eventType: 'Security', time: clock.now(), payload: [toPayloadItem(device, 'Detached')] });
    }
  };

  let gated = false;
  /** The gate on the bus listings, or undefined (said once) where there is none or it refused them. */
  const watchBuses = (tick: () => void, out: EventSink): Cancel | undefined => {
    if (!changeGate) return undefined;
    try {
      const cancelWatch = changeGate.watch(busDirs(hostRoot).map((path) => ({ path, kind: 'listing' })), POLL_INTERVAL_MS, tick);
      gated = true;
      return cancelWatch;
    } catch (err) {
      out.error(`change gate refused the /sys listings, polling on a timer: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    }
  };

  const collector: Collector = {
    name: 'Peripheral',
    async start(out: EventSink) {
      if (stopped || cancel) return;
      poll(undefined);
      const tick = (): void => {
        try {
          poll(out);
        } catch (err) {
          out.error(`hardware poll failed: ${err instanceof Error ? err.message : String(err)}`);
        }
      };
      // With the gate, the listings run on the addon's thread and wake us only when a bus's entries changed.
      cancel = watchBuses(tick, out) ?? clock.setInterval(tick, POLL_INTERVAL_MS);
    },
    async collect(out: EventSink) {
      if (stopped) return;
      const now = clock.now();
      if (lastFullAt !== undefined && now - lastFullAt < FULL_REPORT_EVERY_MS) return;
      lastFullAt = now;
      if (!cancel) poll(undefined);
      const devices = [...known.values()].filter((d): d is HardwareDevice => d !== undefined);
      out.emit({ name: 'ConnectedHardware', category: 'Periodic', eventType: 'Security', time: now, payload: devices.map((d) => toPayloadItem(d)) });
    },
    async stop() {
      stopped = true;
      cancel?.();
      cancel = undefined;
    },
    status: (): CollectorStatus => (stopped ? { state: 'stopped' } : {
      state: 'running', detail: `${gated ? 'listing' : 'polling'} /sys every ${POLL_INTERVAL_MS} ms${gated ? ' off the event loop' : ''}`,
    }),
  };
  return collector;
};
