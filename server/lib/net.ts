import { createServer } from 'node:net';

/** Asks the OS for a free TCP port on `host` (used when a port of 0 is configured). */
export async function findFreePort(host = '127.0.0.1'): Promise<number> {
  const reservation = await reservePort(host);
  await reservation.release();
  return reservation.port;
}

/**
 * A free TCP port on `host`, held by a listening socket until `release()`: nothing else on the
 * machine (another server, an outgoing connection's local port) can take it meanwhile. Release it
 * right before listening on it yourself.
 */
export function reservePort(host = '127.0.0.1'): Promise<{ port: number; release(): Promise<void> }> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      let released: Promise<void> | undefined;
      // The socket is closed at once; the promise settles when Node has let go of it.
      const release = () => (released ??= new Promise<void>((done) => server.close(() => done())));
      resolve({ port, release });
    });
  });
}
