/**
 * The node:http plumbing every reference server shares: a lazy body reader (nothing read before
 * the engine asks, after auth), one JSON write per answer with a content-length, unread bodies
 * closed rather than drained, a bug reported to `onError` and answered 500. No rule of any
 * service lives here: an adapter is given a `handle` and writes back what it answers.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type {
  ReadBody,
  ServiceErrorContext,
  ServiceRequest,
  ServiceResponse,
} from '../engine/types.js';
import { listen } from './loopback.js';

/** The client closed or reset the connection before its body was whole. */
class ClientGoneError extends Error {}

/** The path of a request URL without its query string. */
export function pathOf(url: string | undefined): string {
  const path = url ?? '/';
  const q = path.indexOf('?');
  return q === -1 ? path : path.slice(0, q);
}

/**
 * The body as a {@link ReadBody}, or undefined when the request has none. Nothing is read until
 * the engine asks (after auth), and reading stops one byte past `maxBytes`: the engine refuses
 * the body and the rest is never read (the connection is closed instead).
 */
function bodyReader(req: IncomingMessage): ReadBody | undefined {
  if (
    req.headers['content-length'] === undefined &&
    req.headers['transfer-encoding'] === undefined
  ) {
    return undefined;
  }
  return (maxBytes) =>
    new Promise((resolve, reject) => {
      if (req.readableEnded) return resolve(undefined);
      if (req.destroyed) return reject(new ClientGoneError('The client went away'));
      const chunks: Buffer[] = [];
      let size = 0;
      const done = () => {
        req.off('data', onData);
        req.off('end', onEnd);
        req.off('error', onGone);
        req.off('close', onGone);
      };
      const onData = (chunk: Buffer) => {
        const room = maxBytes + 1 - size;
        chunks.push(chunk.length > room ? chunk.subarray(0, room) : chunk);
        size += Math.min(chunk.length, room);
        if (size > maxBytes) {
          done();
          req.pause();
          resolve(Buffer.concat(chunks));
        }
      };
      const onEnd = () => {
        done();
        resolve(size === 0 ? undefined : Buffer.concat(chunks));
      };
      const onGone = () => {
        done();
        reject(new ClientGoneError('The client went away before its body was whole'));
      };
      req.on('data', onData);
      req.on('end', onEnd);
      req.on('error', onGone);
      req.on('close', onGone);
    });
}

/** What {@link createHttpAdapter} puts on a socket. */
export interface HttpAdapterOptions {
  /** Answers one request; expected never to throw (a throw is reported and answered 500). */
  handle(request: ServiceRequest): Promise<ServiceResponse>;
  /** Told when answering failed for a reason that is not the client's (a bug). */
  onError(error: unknown, context: ServiceErrorContext): void;
  /** The 500 to answer after such a failure to a request for `path`, in the API's error shape. */
  internalError(path: string): ServiceResponse;
  /** Stops the engines once the socket is closed (e.g. a worker). */
  stop(): Promise<void>;
}

/** A node:http server over a `handle`. */
export interface HttpAdapter {
  /** Starts listening; loopback and any free port by default. */
  listen(port?: number, host?: string): Promise<{ url: string; port: number }>;
  /** Stops accepting connections, lets requests in flight finish, then stops the engines. */
  close(): Promise<void>;
}

/** Serves `handle` over node:http; see the module doc for what it takes care of. */
export function createHttpAdapter(options: HttpAdapterOptions): HttpAdapter {
  const write = (req: IncomingMessage, res: ServerResponse, answer: ServiceResponse) => {
    const payload = JSON.stringify(answer.body);
    res.writeHead(answer.status, {
      'content-type': 'application/json',
      // A length rather than chunked encoding: one write per answer.
      'content-length': Buffer.byteLength(payload),
      // A body left unread (refused before or while reading it) is not drained to keep the
      // connection: node closes it once the answer is written.
      ...(req.complete ? {} : { connection: 'close' }),
      ...answer.headers,
    });
    res.end(payload);
  };

  const onRequest = async (req: IncomingMessage, res: ServerResponse) => {
    try {
      const answer = await options.handle({
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        headers: req.headers,
        body: bodyReader(req),
      });
      // The client went away (its body cut short, or it closed while we worked): no one to answer.
      if (res.destroyed || req.socket?.destroyed !== false) return;
      write(req, res, answer);
    } catch (error) {
      // Not the client's doing: handle never throws, so this is a bug here (e.g. a header value
      // node refuses). Report it and answer 500 if the answer has not started.
      try {
        options.onError(error, { source: 'request', method: req.method, path: pathOf(req.url) });
      } catch {
        // A throwing onError must not leave the request unanswered.
      }
      if (!res.headersSent && !res.destroyed) {
        const answer = options.internalError(req.url ?? '/');
        const payload = JSON.stringify(answer.body);
        res.writeHead(answer.status, {
          ...answer.headers,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
          connection: 'close',
        });
        res.end(payload);
      } else {
        res.destroy();
      }
    }
  };
  const server = createServer((req, res) => {
    void onRequest(req, res);
  });
  server.keepAliveTimeout = 5_000;

  return {
    listen: (port, host) => listen(server, port, host),
    async close() {
      const closed = new Promise<void>((resolve) => {
        if (!server.listening) resolve();
        else server.close(() => resolve());
      });
      server.closeIdleConnections();
      await options.stop();
      await closed;
    },
  };
}
