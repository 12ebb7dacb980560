/** SystemInformation: OS, memory and hardware facts from the systeminformation package, at low priority. */
import type { Collector, CollectorFactory, EventSink } from '../types.js';
import { readHostFacts } from './host-facts.js';
import { systemInformationPayload, type HardwareOverrides } from './parse.js';

const OVERRIDE_KEYS = ['HardwareVendor', 'HardwareModel', 'HardwareSerialNumber', 'FirmwareVendor', 'FirmwareVersion'] as const;

export { readHostFacts } from './host-facts.js';

export const createSystemInformationCollector: CollectorFactory = ({ clock, settings, agentVersion = '0.0.0', spawned, hostRoot }) => {
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
        const facts = await readHostFacts(spawned, hostRoot);
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
