import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net';

/** A TCP proxy in front of a service (RabbitMQ, PostgreSQL) that can cut every connection and refuse new ones: a broker restart. */
export class TcpProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  refusing = false;
  /** Connections refused while `refusing` (a client's reconnection attempts). */
  refused = 0;
  /** Connections accepted and forwarded. */
  accepted = 0;

  constructor(
    private readonly host: string,
    private readonly port: number,
  ) {}

  async start(): Promise<number> {
    const server = createServer((client) => {
      if (this.refusing) {
        this.refused++;
        return void client.destroy();
      }
      this.accepted++;
      const upstream = tcpConnect(this.port, this.host);
      for (const [a, b] of [
        [client, upstream],
        [upstream, client],
      ] as const) {
        this.sockets.add(a);
        a.on('error', () => b.destroy());
        a.on('close', () => (this.sockets.delete(a), b.destroy()));
        a.pipe(b);
      }
    });
    this.server = server;
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const addr = server.address();
    if (!addr || typeof addr === 'string') throw new Error('no proxy port');
    return addr.port;
  }

  /** Cuts every open connection. */
  drop(): void {
    for (const s of this.sockets) s.destroy();
  }

  async stop(): Promise<void> {
    this.drop();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}
