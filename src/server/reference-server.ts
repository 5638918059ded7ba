import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { logServiceError } from '../engine/log-error.js';
import { createRefreshService, type RefreshService } from '../engine/service.js';
import type { FetchMetadata, ReadBody, RefreshServiceOptions } from '../engine/types.js';
import { fetchMetadataOverHttp } from './fetch-metadata.js';

/** Options of {@link createReferenceServer}: the service's, with an HTTP `fetchMetadata` by default. */
export interface ReferenceServerOptions extends Omit<RefreshServiceOptions, 'fetchMetadata'> {
  /** How the worker reaches Metadata APIs. Default: HTTP GET with the global `fetch`. */
  fetchMetadata?: FetchMetadata;
}

/** A running (or runnable) reference server. */
export interface ReferenceServer {
  /** Starts listening; loopback by default. Resolves with the base URL to give the client. */
  listen(port?: number, host?: string): Promise<{ url: string }>;
  /** Stops accepting connections, lets requests in flight finish and stops the worker. */
  close(): Promise<void>;
  /** The engine behind the server, for tests and tools (`settled()`, `getRefresh`, ...). */
  readonly service: RefreshService;
}

/** The client closed or reset the connection before its body was whole. */
class ClientGoneError extends Error {}

/** The path of a request URL without its query string. */
function pathOf(url: string | undefined): string {
  const path = url ?? '/';
  const q = path.indexOf('?');
  return q === -1 ? path : path.slice(0, q);
}

/**
 * The body as a {@link ReadBody}, or undefined when the request has none. Nothing is read until
 * the engine asks (after auth), and reading stops one byte past `maxBytes`: the engine answers
 * 413 and the rest is never read (the connection is closed instead).
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

/**
 * The reference metadata refresh service over node:http: every request goes to the engine's
 * `handle`, and the answer is written back as JSON.
 *
 * @example
 * ```ts
 * const server = createReferenceServer({ owner: wallet.address,
 *   collections: [{ address, metadataApiUrl: 'http://127.0.0.1:4000/metadata' }] });
 * const { url } = await server.listen();
 * const client = new MetadataRefreshClient({ signer: wallet, baseURL: url });
 * ```
 */
export function createReferenceServer(options: ReferenceServerOptions): ReferenceServer {
  const service = createRefreshService({
    ...options,
    fetchMetadata: options.fetchMetadata ?? fetchMetadataOverHttp,
  });

  const onError = options.onError ?? logServiceError;

  const onRequest = async (req: IncomingMessage, res: ServerResponse) => {
    try {
      const answer = await service.handle({
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        headers: req.headers,
        body: bodyReader(req),
      });
      // The client went away (its body cut short, or it closed while we worked): no one to answer.
      if (res.destroyed || req.socket?.destroyed !== false) return;
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
    } catch (error) {
      // Not the client's doing: handle never throws, so this is a bug here (e.g. a header value
      // node refuses). Report it and answer 500 if the answer has not started.
      try {
        onError(error, { source: 'request', method: req.method, path: pathOf(req.url) });
      } catch {
        // A throwing onError must not leave the request unanswered.
      }
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, { 'content-type': 'application/json', connection: 'close' });
        res.end(
          JSON.stringify({ code: 'internal_server_error', message: 'Internal server error' }),
        );
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
    service,
    listen(port = 0, host = '127.0.0.1') {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const address = server.address() as AddressInfo;
          const hostname = address.family === 'IPv6' ? `[${address.address}]` : address.address;
          resolve({ url: `http://${hostname}:${address.port}` });
        });
      });
    },
    async close() {
      const closed = new Promise<void>((resolve) => {
        if (!server.listening) resolve();
        else server.close(() => resolve());
      });
      server.closeIdleConnections();
      await service.stop();
      await closed;
    },
  };
}
