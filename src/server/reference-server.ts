import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MAX_BODY_BYTES } from '../engine/request.js';
import { createRefreshService, type RefreshService } from '../engine/service.js';
import type { FetchMetadata, RefreshServiceOptions } from '../engine/types.js';
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

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  // Most requests are GETs without a body: answer them without waiting for the stream's end.
  if (
    req.headers['content-length'] === undefined &&
    req.headers['transfer-encoding'] === undefined
  ) {
    req.resume();
    return Promise.resolve(undefined);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      // Keep one byte past the limit so the engine can answer 413; drain the rest unread.
      if (size > MAX_BODY_BYTES) return;
      const room = MAX_BODY_BYTES + 1 - size;
      chunks.push(chunk.length > room ? chunk.subarray(0, room) : chunk);
      size += Math.min(chunk.length, room);
    });
    req.on('end', () => resolve(size === 0 ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
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

  const onRequest = async (req: IncomingMessage, res: ServerResponse) => {
    try {
      const body = await readBody(req);
      const answer = await service.handle({
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        headers: req.headers,
        body,
      });
      const payload = JSON.stringify(answer.body);
      // A length rather than chunked encoding: one write per answer.
      res.writeHead(answer.status, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(payload),
        ...answer.headers,
      });
      res.end(payload);
    } catch {
      // The client went away mid-request; there is no one to answer.
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(400, { 'content-type': 'application/json', connection: 'close' });
        res.end(JSON.stringify({ code: 'bad_request', message: 'The request could not be read' }));
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
