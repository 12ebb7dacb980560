/** Heartbeat: one empty periodic event per send interval, so the hub sees the agent is alive. */
import type { Collector, CollectorFactory, EventSink } from '../types.js';

export const createHeartbeatCollector: CollectorFactory = ({ clock }) => {
  let stopped = false;
  const collector: Collector = {
    name: 'Heartbeat',
    async collect(out: EventSink) {
      if (stopped) return;
      out.emit({ name: 'Heartbeat', category: 'Periodic', eventType: 'Operational', payload: [], time: clock.now() });
    },
    async stop() {
      stopped = true;
    },
    status: () => ({ state: stopped ? 'stopped' : 'running' }),
  };
  return collector;
};
