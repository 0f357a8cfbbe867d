import net from 'node:net';
import ssh2 from 'ssh2';

/**
 * Hostile servers for deadline tests, on 127.0.0.1: `ssh` completes the SSH handshake (any
 * password), accepts every command channel and then neither reads nor writes it — a server that
 * accepts and never reads; `tcp` accepts TCP connections and never says a word. `received`
 * counts the bytes `tcp` was sent (a refused address must receive none).
 *
 * @example
 *   const pit = await startTarpit();
 *   await remote.connect({ host: '127.0.0.1', port: pit.sshPort, username: 'root', password: 'x' });
 *   await pit.close();
 */
export interface Tarpit {
  sshPort: number;
  tcpPort: number;
  /** Connections the ssh server accepted so far. */
  readonly sshConnections: number;
  /** Command channels (uploads among them) the ssh server accepted and left hanging. */
  readonly execs: number;
  /** Bytes the tcp server received so far. */
  readonly tcpBytes: number;
  /** Connections the tcp server accepted so far. */
  readonly tcpConnections: number;
  close(): Promise<void>;
}

export async function startTarpit(): Promise<Tarpit> {
  const hostKey = ssh2.utils.generateKeyPairSync('ed25519').private;
  const sockets = new Set<net.Socket>();
  let sshConnections = 0;
  let tcpBytes = 0;
  let tcpConnections = 0;
  let execs = 0;
  const clients = new Set<ssh2.Connection>();
  const ssh = new ssh2.Server({ hostKeys: [hostKey] }, (client) => {
    sshConnections++;
    clients.add(client);
    client.on('close', () => clients.delete(client));
    client.on('error', () => {});
    client.on('authentication', (ctx) => ctx.accept());
    client.on('session', (accept) => {
      const session = accept();
      // Accepted, then nothing: no output, no exit, stdin never read (the window is never
      // opened again, so a sender stalls).
      session.on('exec', (acceptExec) => {
        execs++;
        const channel = acceptExec();
        channel.pause();
      });
    });
  });
  const tcp = net.createServer((socket) => {
    tcpConnections++;
    sockets.add(socket);
    socket.on('data', (chunk) => {
      tcpBytes += chunk.length;
    });
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  const listen = (server: net.Server | ssh2.Server) =>
    new Promise<number>((resolve) =>
      server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)),
    );
  const sshPort = await listen(ssh);
  const tcpPort = await listen(tcp);
  return {
    sshPort,
    tcpPort,
    get sshConnections() {
      return sshConnections;
    },
    get execs() {
      return execs;
    },
    get tcpBytes() {
      return tcpBytes;
    },
    get tcpConnections() {
      return tcpConnections;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      for (const client of clients) client.end();
      await Promise.all([
        new Promise<void>((resolve) => ssh.close(() => resolve())),
        new Promise<void>((resolve) => tcp.close(() => resolve())),
      ]);
    },
  };
}
