/** The Immutable zkEVM reference service over node:http, alone or beside the Immutable X one. */
import { randomUUID } from 'node:crypto';
import type { RefreshService } from '../engine/imx/index.js';
import { logServiceError } from '../engine/log-error.js';
import type { ServiceErrorContext, ServiceResponse } from '../engine/types.js';
import {
  createZkEvmService,
  errorResponse,
  isZkEvmPath,
  type ZkEvmService,
  type ZkEvmServiceOptions,
} from '../engine/zkevm/index.js';
import { createHttpAdapter } from './http-adapter.js';
import { imxInternalError, imxServiceOf, type ReferenceServerOptions } from './reference-server.js';

/** Options of {@link createZkEvmReferenceServer}: the service's. */
export interface ZkEvmReferenceServerOptions extends ZkEvmServiceOptions {
  /**
   * Told of a bug while answering, in the engine or the adapter (the caller gets a 500); never
   * of bad input or a client going away. Default: a line on stderr with the method and path
   * (never headers, so never the key).
   */
  onError?: ((error: unknown, context: ServiceErrorContext) => void) | undefined;
}

/** A running (or runnable) zkEVM reference server. */
export interface ZkEvmReferenceServer {
  /**
   * Starts listening; loopback (`127.0.0.1`) and any free port by default. Resolves with the base
   * URL.
   *
   * @throws the listen error, as node:http gives it (its `code`): `EADDRINUSE` (the port is
   * taken: pick another, or `0` for any free one), `EACCES` (a privileged port),
   * `EADDRNOTAVAIL` or `ENOTFOUND` (a host not on this machine, or not found); a `RangeError`
   * (`ERR_SOCKET_BAD_PORT`) for a bad port; `ERR_SERVER_ALREADY_LISTEN` when it listens already.
   * A failed `listen` leaves the server as it was: call it again, e.g. with another port.
   */
  listen(port?: number, host?: string): Promise<{ url: string; port: number }>;
  /**
   * Stops accepting connections and lets requests in flight finish. Calling it again, or before
   * `listen`, is harmless; `listen` may be called again after it.
   *
   * Never rejects.
   */
  close(): Promise<void>;
  /** The engine behind the server: `settled()`, `mint`, `setRemainingRefreshes`, `nft`, .... */
  readonly service: ZkEvmService;
}

/** The 500 after a bug in the adapter, in the zkEVM API's error shape (so it matches the OpenAPI file). */
function zkEvmInternalError(): ServiceResponse {
  return errorResponse(
    { code: 'INTERNAL_SERVER_ERROR', message: 'Internal server error' },
    randomUUID().replaceAll('-', ''),
  );
}

/**
 * The zkEVM reference service over node:http: every request goes to the engine's `handle` (the
 * key is checked before a byte of the body is read), and the answer is written back as JSON.
 *
 * @example
 * ```ts
 * const server = createZkEvmReferenceServer({ apiKey: 'sk_imapik-test-local', syncDelayMs: 0 });
 * const { url } = await server.listen();
 * await fetch(`${url}/v1/chains/imtbl-zkevm-testnet/collections/${address}/nfts/refresh-metadata`, {
 *   method: 'POST',
 *   headers: { 'x-immutable-api-key': 'sk_imapik-test-local', 'content-type': 'application/json' },
 *   body: JSON.stringify({ nft_metadata: [{ token_id: '1', name: 'Hero', … }] }),
 * });
 * ```
 * @throws {TypeError} a bad option, named in the message (a limit that is not a positive
 * integer, a `limits.retryAfter` other than `window` or `pacing`, a `limits.pacingMs` without
 * `pacing`, a negative `syncDelayMs`, an `apiKey` that is neither a non-empty string nor a function,
 * an unknown chain without `chainId`, a collection's malformed address or token id).
 */
export function createZkEvmReferenceServer(
  options: ZkEvmReferenceServerOptions,
): ZkEvmReferenceServer {
  const onError = options.onError ?? logServiceError;
  const service = createZkEvmService({ ...options, onError });
  return {
    service,
    ...createHttpAdapter({
      handle: (request) => service.handle(request),
      onError,
      internalError: zkEvmInternalError,
      stop: async () => undefined,
    }),
  };
}

/** Options of {@link createCombinedReferenceServer}: each API's own, and one error sink. */
export interface CombinedReferenceServerOptions {
  /** The Immutable X service (`/v1/metadata-refreshes`, `/v1/assets`, ...). */
  imx: Omit<ReferenceServerOptions, 'onError'>;
  /** The zkEVM service (`/v1/chains/...`). */
  zkevm: Omit<ZkEvmServiceOptions, 'onError'>;
  /** Told of a bug in either service or the adapter. Default: a line on stderr (method and path). */
  onError?: ((error: unknown, context: ServiceErrorContext) => void) | undefined;
}

/** Both reference services on one port. */
export interface CombinedReferenceServer {
  /**
   * Starts listening; loopback (`127.0.0.1`) and any free port by default. Both APIs share the
   * base URL.
   *
   * @throws the listen error, as node:http gives it (its `code`): `EADDRINUSE` (the port is
   * taken: pick another, or `0` for any free one), `EACCES` (a privileged port),
   * `EADDRNOTAVAIL` or `ENOTFOUND` (a host not on this machine, or not found); a `RangeError`
   * (`ERR_SOCKET_BAD_PORT`) for a bad port; `ERR_SERVER_ALREADY_LISTEN` when it listens already.
   * A failed `listen` leaves the server as it was: call it again, e.g. with another port.
   */
  listen(port?: number, host?: string): Promise<{ url: string; port: number }>;
  /**
   * Stops accepting connections, lets requests in flight finish and stops the Immutable X worker
   * (fetches in flight are aborted, queued tokens stay pending). Calling it again, or before
   * `listen`, is harmless. The worker does not restart: to serve again, create a new server.
   *
   * Never rejects.
   */
  close(): Promise<void>;
  /** The Immutable X engine. */
  readonly imx: RefreshService;
  /** The zkEVM engine. */
  readonly zkevm: ZkEvmService;
}

/**
 * Both reference services behind one node:http server. Their routes do not overlap: a path
 * under `/v1/chains/` is the zkEVM API's, anything else the Immutable X API's (so an unknown path
 * gets the Immutable X 404), and a bug is answered 500 in the shape of the API it hit.
 *
 * @example
 * ```ts
 * const server = createCombinedReferenceServer({
 *   imx: { owner: wallet.address, collections },
 *   zkevm: { apiKey: 'sk_imapik-test-local' },
 * });
 * const { url } = await server.listen(4000);
 * ```
 * @throws {TypeError} a bad option of either service, named in the message (see
 * {@link createReferenceServer} and {@link createZkEvmReferenceServer}).
 */
export function createCombinedReferenceServer(
  options: CombinedReferenceServerOptions,
): CombinedReferenceServer {
  const onError = options.onError ?? logServiceError;
  const imx = imxServiceOf({ ...options.imx, onError });
  const zkevm = createZkEvmService({ ...options.zkevm, onError });
  return {
    imx,
    zkevm,
    ...createHttpAdapter({
      handle: (request) =>
        isZkEvmPath(request.path) ? zkevm.handle(request) : imx.handle(request),
      onError,
      internalError: (path) => (isZkEvmPath(path) ? zkEvmInternalError() : imxInternalError()),
      stop: () => imx.stop(),
    }),
  };
}
