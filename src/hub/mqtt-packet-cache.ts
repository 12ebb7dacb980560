/**
 * mqtt-packet keeps 65,536 pre-built Buffers (about 6 MB) to write packet ids and lengths a little faster;
 * an agent that publishes a few messages an hour has no use for them. Turned off, before the first publish,
 * on the mqtt-packet instance that the SDK's mqtt client uses.
 */
import { createRequire } from 'node:module';

let done = false;

export function disableMqttNumberCache(): void {
  if (done) return;
  done = true;
  try {
    const fromSdk = createRequire(createRequire(import.meta.url).resolve('azure-iot-device-mqtt'));
    const fromBase = createRequire(fromSdk.resolve('azure-iot-mqtt-base'));
    const fromMqtt = createRequire(fromBase.resolve('mqtt'));
    const packet = fromMqtt('mqtt-packet') as { writeToStream?: { cacheNumbers?: boolean } };
    if (packet.writeToStream) packet.writeToStream.cacheNumbers = false;
  } catch {
    // A different SDK layout only costs the memory back; nothing to report.
  }
}
