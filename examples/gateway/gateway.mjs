// @ts-check
/**
 * A small gateway: it keeps a table of its downstream devices (here read from a JSON file every few seconds,
 * standing in for a Modbus or BLE scan) and embeds the security micro agent, which sends that inventory as
 * security events next to the agent's own.
 *
 *   IOT_MICRO_AGENT_CONNECTION_STRING  the DefenderIotMicroAgent module's connection string
 *   GATEWAY_DEVICES_FILE               JSON array of { id, protocol, address, firmware, lastSeen (ISO) }
 *   GATEWAY_STATE_DIR                  where the agent keeps its id, accepted configuration and outbox
 *   GATEWAY_CA_FILE                    optional: a CA to trust (an IoT Edge gateway, the simulated hub)
 *   GATEWAY_TWIN_DEFAULTS_FILE         optional: device-side twin defaults, JSON
 *
 * Prints one JSON line per agent event; SIGTERM or SIGINT prints the agent's status and stops.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { MicroAgent } from 'iot-micro-agent';
import { downstreamDevicesCollector } from './downstream-devices.mjs';

/** The gateway's own module logic: its view of the downstream devices. */
class DeviceTable {
  /** @type {import('./downstream-devices.mjs').Device[]} */
  #devices = [];

  /** @param {string} file */
  constructor(file) {
    this.file = file;
  }

  async refresh() {
    try {
      const list = JSON.parse(await readFile(this.file, 'utf8'));
      this.#devices = list.map((/** @type {Record<string, string>} */ d) => ({ ...d, lastSeen: Date.parse(d.lastSeen ?? '') || Date.now() }));
    } catch (err) {
      print('gateway-error', { message: `devices file: ${err instanceof Error ? err.message : String(err)}` });
    }
  }

  devices() {
    return this.#devices;
  }
}

/** @param {string} event @param {unknown} payload */
function print(event, payload) {
  process.stdout.write(`${JSON.stringify({ event, payload })}\n`);
}

const env = process.env;
const connectionString = env.IOT_MICRO_AGENT_CONNECTION_STRING;
if (!connectionString || !env.GATEWAY_DEVICES_FILE) {
  process.stderr.write('gateway: set IOT_MICRO_AGENT_CONNECTION_STRING and GATEWAY_DEVICES_FILE\n');
  process.exit(2);
}

const table = new DeviceTable(env.GATEWAY_DEVICES_FILE);
await table.refresh();
const scan = setInterval(() => void table.refresh(), 2_000);

const agent = new MicroAgent({
  connectionString,
  ...(env.GATEWAY_STATE_DIR ? { stateDir: env.GATEWAY_STATE_DIR } : {}),
  ...(env.GATEWAY_CA_FILE ? { ca: readFileSync(env.GATEWAY_CA_FILE, 'utf8') } : {}),
  ...(env.GATEWAY_TWIN_DEFAULTS_FILE ? { twinDefaults: JSON.parse(readFileSync(env.GATEWAY_TWIN_DEFAULTS_FILE, 'utf8')) } : {}),
  customCollectors: [downstreamDevicesCollector(table)],
});
agent.on('connected', (info) => print('connected', info));
agent.on('disconnected', (info) => print('disconnected', info));
agent.on('message-sent', (info) => print('message-sent', info));
agent.on('config-applied', (info) => print('config-applied', info));
agent.on('config-rejected', (info) => print('config-rejected', info));
agent.on('error', (_err, problem) => print('error', problem));
await agent.start();
print('started', { agentId: agent.id });

for (const signal of /** @type {const} */ (['SIGTERM', 'SIGINT'])) {
  process.once(signal, () => {
    print('status', agent.status());
    clearInterval(scan);
    void agent.stop().then(() => print('stopped', {}));
  });
}
