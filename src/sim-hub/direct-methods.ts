/** Direct method calls from the hub to a connected module, matched to responses by `$rid`. */
import type { Client } from 'aedes';
import type { Logger } from 'pino';
import { deliverTo } from './hub-broker.js';
import { methodRequestTopic } from './mqtt-dialect.js';

export interface MethodResult {
  status: number;
  payload: unknown;
}

interface PendingCall {
  resolve: (result: MethodResult) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export class DirectMethods {
  private nextRid = 1;
  private readonly pending = new Map<string, PendingCall>();

  constructor(private readonly log: Logger) {}

  invoke(client: Client | undefined, name: string, payload: unknown, timeoutMs: number): Promise<MethodResult> {
    return new Promise((resolve, reject) => {
      // IoT Hub answers 404103 when the module is offline or has not subscribed to methods.
      if (!client) {
        reject(new Error(`DeviceNotOnline (404103): the module is not connected`));
        return;
      }
      const rid = (this.nextRid++).toString(16);
      const body = payload === undefined ? '' : JSON.stringify(payload);
      if (!deliverTo(client, methodRequestTopic(name, rid), body, this.log)) {
        reject(new Error(`DeviceNotOnline (404103): ${client.id} is not subscribed to direct methods`));
        return;
      }
      const timer = setTimeout(() => {
        this.pending.delete(rid);
        reject(new Error(`GatewayTimeout (504101): ${client.id} did not answer method '${name}' within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(rid, { resolve, reject, timer });
    });
  }

  response(rid: string, status: number, body: Buffer): void {
    const call = this.pending.get(rid);
    if (!call) return;
    this.pending.delete(rid);
    clearTimeout(call.timer);
    const text = body.toString('utf8');
    let payload: unknown = text;
    try {
      payload = text === '' ? undefined : JSON.parse(text);
    } catch {
      // a non-JSON answer is passed through as text
    }
    call.resolve({ status, payload });
  }

  cancelAll(reason: string): void {
    for (const call of this.pending.values()) {
      clearTimeout(call.timer);
      call.reject(new Error(reason));
    }
    this.pending.clear();
  }
}
