import {
  createRefreshService,
  type FetchMetadata,
  type RefreshService,
  type RefreshServiceOptions,
} from '../engine/imx/index.js';
import { logServiceError } from '../engine/log-error.js';
import type { ServiceResponse } from '../engine/types.js';
import { fetchMetadataOverHttp } from '../metadata-api/fetch-over-http.js';
import { createHttpAdapter } from './http-adapter.js';

/** Options of {@link createReferenceServer}: the service's, with an HTTP `fetchMetadata` by default. */
export interface ReferenceServerOptions extends Omit<RefreshServiceOptions, 'fetchMetadata'> {
  /** How the worker reaches Metadata APIs. Default: HTTP GET with the global `fetch`. */
  fetchMetadata?: FetchMetadata | undefined;
}

/** A running (or runnable) reference server. */
export interface ReferenceServer {
  /**
   * Starts listening; loopback (`127.0.0.1`) and any free port by default. Resolves with the base
   * URL to give the client.
   *
   * @throws the listen error, as node:http gives it (its `code`): `EADDRINUSE` (the port is
   * taken: pick another, or `0` for any free one), `EACCES` (a privileged port),
   * `EADDRNOTAVAIL` or `ENOTFOUND` (a host not on this machine, or not found); a `RangeError`
   * (`ERR_SOCKET_BAD_PORT`) for a bad port; `ERR_SERVER_ALREADY_LISTEN` when it listens already.
   * A failed `listen` leaves the server as it was: call it again, e.g. with another port.
   */
  listen(port?: number, host?: string): Promise<{ url: string; port: number }>;
  /**
   * Stops accepting connections, lets requests in flight finish and stops the worker (fetches in
   * flight are aborted, queued tokens stay pending). Calling it again, or before `listen`, is
   * harmless. The worker does not restart: to serve again, create a new server.
   *
   * Never rejects.
   */
  close(): Promise<void>;
  /** The engine behind the server, for tests and tools (`settled()`, `getRefresh`, ...). */
  readonly service: RefreshService;
}

/** The Immutable X engine as a server runs it: Metadata APIs reached over HTTP unless told otherwise. */
export function imxServiceOf(options: ReferenceServerOptions): RefreshService {
  return createRefreshService({
    ...options,
    fetchMetadata: options.fetchMetadata ?? fetchMetadataOverHttp,
  });
}

/** The 500 after a bug in the adapter, in the Immutable X API's error shape. */
export function imxInternalError(): ServiceResponse {
  return {
    status: 500,
    headers: {},
    body: { code: 'internal_server_error', message: 'Internal server error' },
  };
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
 * @throws {TypeError} a bad option, named in the message (an owner that is not an address, a
 * limit that is not a positive integer, a collection's malformed address or Metadata API URL).
 */
export function createReferenceServer(options: ReferenceServerOptions): ReferenceServer {
  const service = imxServiceOf(options);

  const onError = options.onError ?? logServiceError;
  return {
    service,
    ...createHttpAdapter({
      handle: (request) => service.handle(request),
      onError,
      internalError: imxInternalError,
      stop: () => service.stop(),
    }),
  };
}
