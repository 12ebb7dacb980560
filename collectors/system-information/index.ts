/** SystemInformation: OS, memory and hardware facts from the systeminformation package, at low priority. */
import type { Collector, CollectorFactory, EventSink } from '../types.js';
import { systemInformationPayload, type HardwareOverrides, type HostFacts } from './parse.js';

const OVERRIDE_KEYS = ['HardwareVendor', 'HardwareModel', 'HardwareSerialNumber', 'FirmwareVendor', 'FirmwareVersion'] as const;

/** systeminformation is loaded on the first collection only (about 5 MB the agent need not hold before then). */
export async function readHostFacts(): Promise<HostFacts> {
  const { default: si } = await import('systeminformation');
  const [os, mem, bios, system, blockDevices] = await Promise.all([si.osInfo(), si.mem(), si.bios(), si.system(), si.blockDevices().catch(() => [])]);
  return { os, mem, bios, system, blockDevices };
}

export const createSystemInformationCollector: CollectorFactory = ({ clock, settings, agentVersion = '0.0.0' }) => {
  let stopped = false;
  let failure: string | undefined;
  const overrides: HardwareOverrides = {};
  for (const k of OVERRIDE_KEYS) {
    const v = settings[`SystemInformation_${k}`];
    if (typeof v === 'string' && v !== '') overrides[k] = v;
  }
  const collector: Collector = {
    name: 'SystemInformation',
    async collect(out: EventSink) {
      if (stopped) return;
      try {
        const facts = await readHostFacts();
        failure = undefined;
        out.emit({
          name: 'SystemInformation', category: 'Periodic', eventType: 'Security', time: clock.now(),
          payload: [systemInformationPayload(facts, overrides, agentVersion)],
        });
      } catch (err) {
        failure = err instanceof Error ? err.message : String(err);
        out.error(`system information unavailable: ${failure}`);
      }
    },
    async stop() {
      stopped = true;
    },
    status: () => (stopped ? { state: 'stopped' } : failure ? { state: 'degraded', detail: failure } : { state: 'running' }),
  };
  return collector;
};
