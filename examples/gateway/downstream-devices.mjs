// @ts-check
/**
 * The gateway's own collector: the downstream devices it talks to, one security event per device, with a JSON
 * Schema the agent checks every event against and one twin key of its own.
 */
import { defineCollector } from 'iot-micro-agent';

/** The event each device becomes; the agent refuses (and counts) an event that does not match it. */
export const deviceItemSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['DeviceId', 'Protocol', 'Address', 'FirmwareVersion', 'LastSeenUtc', 'Stale'],
  properties: {
    DeviceId: { type: 'string', minLength: 1, maxLength: 128 },
    Protocol: { type: 'string', enum: ['modbus-tcp', 'opcua', 'ble'] },
    Address: { type: 'string', maxLength: 256 },
    FirmwareVersion: { type: 'string', maxLength: 64 },
    LastSeenUtc: { type: 'string', format: 'date-time' },
    Stale: { type: 'boolean' },
  },
};

/**
 * @typedef {{ id: string, protocol: string, address: string, firmware: string, lastSeen: number }} Device
 * @param {{ devices(): readonly Device[] }} table the gateway's device table (its own module logic)
 */
export function downstreamDevicesCollector(table) {
  return defineCollector({
    name: 'DownstreamDevices',
    event: { name: 'DownstreamDevice', category: 'Periodic', eventType: 'Security', payloadItemSchema: deviceItemSchema },
    defaults: { MessageFrequency: 'Low' },
    twinKeys: {
      // DownstreamDevices_StaleAfterMinutes in the twin: a device not heard from for longer is flagged stale.
      StaleAfterMinutes: { schema: { type: 'integer', minimum: 1, maximum: 1440 }, default: 10, description: 'Minutes without contact after which a downstream device is reported stale.' },
    },
    create: ({ settings, clock }) => ({
      name: 'DownstreamDevices',
      async collect(out) {
        const staleMs = Number(settings['DownstreamDevices_StaleAfterMinutes']) * 60_000;
        for (const d of table.devices()) {
          out.emit({
            name: 'DownstreamDevice', category: 'Periodic', eventType: 'Security', time: clock.now(),
            payload: [{
              DeviceId: d.id, Protocol: d.protocol, Address: d.address, FirmwareVersion: d.firmware,
              LastSeenUtc: new Date(d.lastSeen).toISOString(), Stale: clock.now() - d.lastSeen > staleMs,
            }],
          });
        }
      },
      async stop() {},
    }),
  });
}

/** The declaration alone, without a device table: for `iot-micro-agent validate-config --collectors` and tests. */
export const declaration = downstreamDevicesCollector({ devices: () => [] });
