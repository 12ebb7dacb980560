/** A TCP proxy on 127.0.0.1 in front of the simulated hub that can stop forwarding: a half-open connection. */
import net from 'node:net';
import type { AddressInfo } from 'node:net';

export class FreezableProxy {
  /** Bytes the client sent while frozen (they never reach the hub). */
  heldFromClient = 0;
  /** Bytes the hub sent while frozen (acknowledgements that never reach the client). */
  heldFromHub = 0;
  private frozen = false;
  private readonly sockets = new Set<net.Socket>();
  private readonly clients = new Set<net.Socket>();

  private constructor(private readonly server: net.Server) {}

  static async start(targetPort: number): Promise<FreezableProxy> {
    const server = net.createServer();
    const proxy = new FreezableProxy(server);
    server.on('connection', (client) => proxy.accept(client, targetPort));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Client connections still open. */
  openClients(): number {
    return this.clients.size;
  }

  /** Stops forwarding in both directions without closing anything, like a peer that vanished. */
  freeze(): void {
    this.frozen = true;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket, targetPort: number): void {
    const upstream = net.connect(targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => this.sockets.delete(s));
    }
    this.clients.add(client);
    client.on('close', () => {
      this.clients.delete(client);
      if (!this.frozen) upstream.destroy();
    });
    upstream.on('close', () => {
      if (!this.frozen) client.destroy();
    });
    client.on('data', (d: Buffer) => {
      if (this.frozen) this.heldFromClient += d.length;
      else upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => {
      if (this.frozen) this.heldFromHub += d.length;
      else client.write(d);
    });
  }
}

/** The module connection string pointed at `port` on the same host (GatewayHostName=localhost:PORT). */
export function viaPort(connectionString: string, port: number): string {
  return connectionString.replace(/GatewayHostName=([^:;]+):\d+/, `GatewayHostName=$1:${port}`);
}
