// A TCP proxy between Doorman and Postgres that a test can cut and restore: the shared Postgres
// server keeps running for everyone else while this test's Doorman loses it.
import { connect, createServer, type Server, type Socket } from 'node:net';

export class FaultProxy {
  private server: Server | undefined;
  private sockets = new Set<Socket>();
  /** Silent: connections are accepted and bytes taken, but nothing reaches the other side. */
  private silent = false;
  port = 0;

  constructor(
    private readonly upstreamHost: string,
    private readonly upstreamPort: number,
  ) {}

  /** Listens (again) on the same port; new connections reach Postgres. */
  async open(): Promise<void> {
    const server = createServer((down) => {
      if (this.silent) {
        this.sockets.add(down);
        down.on('close', () => this.sockets.delete(down));
        down.on('error', () => {});
        down.resume(); // swallow what the client sends; never answer
        return;
      }
      const up = connect(this.upstreamPort, this.upstreamHost);
      for (const s of [down, up]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => {
          down.destroy();
          up.destroy();
        });
      }
      down.pipe(up);
      up.pipe(down);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  /** Drops every open connection and refuses new ones, as a stopped server would. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    const closed = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  /**
   * A network partition: open connections go silent (no data, no reset) and new ones are accepted
   * but never answered, as when a host or a link disappears without a word.
   */
  partition(): void {
    this.silent = true;
    for (const s of this.sockets) {
      s.unpipe();
      s.removeAllListeners('data');
      s.resume();
    }
  }

  /** The partition ends; connections it froze are reset, new ones reach Postgres again. */
  heal(): void {
    this.silent = false;
    for (const s of this.sockets) s.destroy();
  }

  async close(): Promise<void> {
    await this.cut();
  }
}

/** Host and port of a postgres:// URL. */
export function hostAndPort(url: string): [string, number] {
  const u = new URL(url);
  return [u.hostname || '127.0.0.1', Number(u.port) || 5432];
}
