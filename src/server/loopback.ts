/**
 * Listening and closing, once for every node:http server of the package and of its tests and
 * bench: the reference servers, the Metadata API server, and the ad-hoc servers of the tests.
 * Not exported from an entry: a user's servers are their own.
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import { type AddressInfo, createServer as createNetServer, type Socket } from 'node:net';

/**
 * Listens on `port` (0: any free one) and `host`; resolves with the base URL, rejects on a listen
 * error such as EADDRINUSE (and leaves no listener behind for the next attempt).
 */
export function listen(
  server: Server | ReturnType<typeof createNetServer>,
  port = 0,
  host = '127.0.0.1',
): Promise<{ url: string; port: number }> {
  return new Promise((resolve, reject) => {
    const fail = (error: Error) => {
      server.off('error', fail);
      reject(error);
    };
    server.once('error', fail);
    try {
      server.listen(port, host, () => {
        server.off('error', fail);
        const address = server.address() as AddressInfo;
        const hostname = address.family === 'IPv6' ? `[${address.address}]` : address.address;
        resolve({ url: `http://${hostname}:${address.port}`, port: address.port });
      });
    } catch (error) {
      // A bad port or a second listen() throws at once, without an 'error' event.
      fail(error as Error);
    }
  });
}

/**
 * Keeps the server's sockets so the returned `close` can destroy them: a test or bench server
 * answering slowly, or never, must not hold its caller's `close` open.
 */
export function socketCloser(server: Server): () => Promise<void> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  return () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      if (server.listening) server.close(() => resolve());
      else resolve();
    });
}

/** A node:http server listening on loopback, see {@link serveOnLoopback}. */
export interface LoopbackServer {
  server: Server;
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  url: string;
  port: number;
  /** Stops listening and destroys every connection, requests in flight included. */
  close(): Promise<void>;
}

/** Serves `handler` on 127.0.0.1 (any free port unless given) until `close()`. */
export async function serveOnLoopback(
  handler: RequestListener,
  options: { port?: number | undefined; host?: string | undefined } = {},
): Promise<LoopbackServer> {
  const server = createServer(handler);
  const close = socketCloser(server);
  const { url, port } = await listen(server, options.port, options.host);
  return { server, url, port, close };
}

/** A loopback port that was free a moment ago (for a process that must be told its port). */
export async function freePort(): Promise<number> {
  const server = createNetServer();
  const { port } = await listen(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
