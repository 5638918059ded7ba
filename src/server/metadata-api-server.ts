/**
 * A studio's Metadata API on loopback, for tests, demos and benchmarks: `GET <url>/<tokenId>`
 * answers each token as told (its metadata, a status, a delay, a raw or endless body, a reset),
 * counting what it was asked. The bin's demo Metadata API, the package's tests, bench and
 * examples all run on it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { pathOf } from './http-adapter.js';
import { serveOnLoopback } from './loopback.js';

/**
 * One answer of a {@link MetadataApiServer} to a token's request. `{ json: { name: 'Hero' } }`
 * is a 200 with that JSON; every other field bends it towards a fault the platform must survive.
 */
export interface MetadataApiAnswer {
  /** The status code. Default 200. */
  status?: number | undefined;
  /** A value sent as JSON (`content-type: application/json`); wins over `body`. */
  json?: unknown;
  /** The body exactly as given, e.g. malformed JSON. Default `content-type: text/plain`. */
  body?: string | undefined;
  /** The content type, in place of the default above. */
  contentType?: string | undefined;
  /** More response headers (e.g. a `content-length` the body does not keep to). */
  headers?: Record<string, string> | undefined;
  /**
   * Answers from a timer after this many ms (past the platform's 3 s the token fails); `0` still
   * waits for the event loop's next timer turn, about 1 ms. Omitted: answers at once.
   */
  delayMs?: number | undefined;
  /**
   * Never ends the body: after `body` (or `json`), writes `a`s until the client goes away or the
   * server closes. One `a` every `everyMs` (a drip), or, without `everyMs`, 64 KiB at a time as
   * fast as the client reads (a flood).
   */
  endless?: { everyMs?: number | undefined } | undefined;
  /** Destroys the connection instead of answering. */
  reset?: boolean | undefined;
  /**
   * Answers by hand instead, for what the fields above cannot say (a body cut short of its
   * `content-length`, a request read to its end); `() => {}` never answers.
   */
  respond?: ((request: IncomingMessage, response: ServerResponse) => void) | undefined;
}

/** What a {@link MetadataApiHandler} is told of a request. */
export interface MetadataApiRequest {
  /** The last path segment, decoded. */
  tokenId: string;
  /** This token's requests so far, this one included: 1 on the first. */
  attempt: number;
}

/** Chooses a token's answer per request, e.g. a 503 on the first attempt, then the metadata. */
export type MetadataApiHandler = (request: MetadataApiRequest) => MetadataApiAnswer;

/** Options of {@link startMetadataApiServer}. */
export interface MetadataApiServerOptions {
  /**
   * Token id → metadata, answered as a 200 with its JSON. A Map is used as is, so the caller
   * can change it while the server runs; the server's `metadata` is the same map.
   */
  metadata?: Map<string, unknown> | Record<string, unknown> | undefined;
  /** Token id → its answer, in place of its metadata. `answer()` changes them later. */
  answers?: Record<string, MetadataApiAnswer | MetadataApiHandler> | undefined;
  /**
   * The answer of a token with neither an answer nor metadata. Default: 404 with
   * `404 page not found\n`, as a Go Metadata API answers an unknown path.
   */
  fallback?: MetadataApiAnswer | MetadataApiHandler | undefined;
  /** Default 0: any free port. */
  port?: number | undefined;
  /** Default 127.0.0.1. */
  host?: string | undefined;
  /**
   * Called when an answer cannot be sent (a handler or `respond` threw, a `status` Node refuses,
   * a `json` that cannot be serialised); that request gets a 500, or its connection is dropped
   * when the status line was already sent. Default: one line on stderr. A test can collect these
   * to fail on them.
   */
  onError?: ((error: unknown, request: MetadataApiRequest) => void) | undefined;
}

/** A running Metadata API, see {@link startMetadataApiServer}. */
export interface MetadataApiServer {
  /** The base URL to give a collection (`metadataApiUrl`): token `7` is at `${url}/7`. */
  readonly url: string;
  /** The metadata it serves, by token id: change it and the next request sees the change. */
  readonly metadata: Map<string, unknown>;
  /**
   * Sets how a token answers from its next request on; `undefined` goes back to its metadata.
   * Never throws: a bad answer shows when a request uses it (a 500 and `onError`).
   */
  answer(tokenId: string, answer: MetadataApiAnswer | MetadataApiHandler | undefined): void;
  /** Requests for a token so far. Never throws. */
  hits(tokenId: string): number;
  /** Requests for any token so far. */
  readonly totalHits: number;
  /** The most requests it has held open at once: what a fetcher's concurrency came to. */
  readonly maxOpen: number;
  /** Bytes written to clients so far, headers included: what an endless body cost them. */
  readonly bytesSent: number;
  /**
   * Stops listening, drops every connection and every answer still delayed or endless. Never
   * rejects; calling it twice is harmless.
   */
  close(): Promise<void>;
}

const NOT_FOUND: MetadataApiAnswer = { status: 404, body: '404 page not found\n' };
const FLOOD = 'a'.repeat(64 * 1024);

const live = (res: ServerResponse) => !res.destroyed && !res.writableEnded;

/** The token id of a request: its last path segment, decoded when it can be. */
function tokenIdOf(url: string | undefined): string {
  const segment = pathOf(url).split('/').pop() ?? '';
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/**
 * Starts a Metadata API on loopback. Each request's last path segment is the token id; it is
 * answered by the token's entry in `answers`, else its `metadata`, else `fallback`.
 *
 * @example
 * ```ts
 * const api = await startMetadataApiServer({ metadata: { '1': { name: 'Hero #1' } } });
 * api.answer('2', { status: 503, body: 'busy' });
 * api.answer('3', { json: { name: 'Late' }, delayMs: 4_000 }); // past the 3 s limit
 * const server = createReferenceServer({ collections: [{ address, metadataApiUrl: api.url }] });
 * // ... refresh tokens 1-3, then:
 * expect(api.hits('2')).toBe(2); // the platform retries once
 * await api.close();
 * ```
 * @throws {Error} rejects when it cannot listen, e.g. `EADDRINUSE` on a `port` in use.
 */
export async function startMetadataApiServer(
  options: MetadataApiServerOptions = {},
): Promise<MetadataApiServer> {
  const metadata =
    options.metadata instanceof Map
      ? options.metadata
      : new Map(Object.entries(options.metadata ?? {}));
  const answers = new Map(Object.entries(options.answers ?? {}));
  const fallback = options.fallback ?? NOT_FOUND;
  const hits = new Map<string, number>();
  const timers = new Set<NodeJS.Timeout>();
  let totalHits = 0;
  let open = 0;
  let maxOpen = 0;
  let closedBytes = 0;

  const later = (ms: number, run: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      run();
    }, ms);
    timers.add(timer);
  };

  const endlessly = (res: ServerResponse, everyMs: number | undefined) => {
    if (everyMs) {
      const timer = setInterval(() => {
        if (live(res)) res.write('a');
      }, everyMs);
      timers.add(timer);
      res.on('close', () => {
        clearInterval(timer);
        timers.delete(timer);
      });
      return;
    }
    // Never ahead of the socket: what is written is what the client took, and memory stays flat.
    const pump = () => {
      while (live(res)) {
        if (!res.write(FLOOD)) {
          res.once('drain', pump);
          return;
        }
      }
    };
    pump();
  };

  const send = (req: IncomingMessage, res: ServerResponse, answer: MetadataApiAnswer) => {
    if (!live(res)) return;
    if (answer.respond) return answer.respond(req, res);
    if (answer.reset) {
      req.socket.destroy();
      return;
    }
    const isJson = answer.json !== undefined;
    const body = isJson ? JSON.stringify(answer.json) : (answer.body ?? '');
    res.writeHead(answer.status ?? 200, {
      'content-type': answer.contentType ?? (isJson ? 'application/json' : 'text/plain'),
      ...answer.headers,
    });
    if (!answer.endless) {
      res.end(body);
      return;
    }
    if (body) res.write(body);
    endlessly(res, answer.endless.everyMs);
  };

  const onError =
    options.onError ??
    ((error: unknown, { tokenId }: MetadataApiRequest) => {
      const detail = error instanceof Error ? error.message : String(error);
      process.stderr.write(
        `metadata api server: the answer to token ${tokenId} failed: ${detail}\n`,
      );
    });
  // A bad answer must not become an uncaught exception in the caller's process (or a request
  // left hanging until its client times out): it is a 500 and a reported error.
  const safely = (res: ServerResponse, request: MetadataApiRequest, run: () => void) => {
    try {
      run();
    } catch (error) {
      onError(error, request);
      if (!live(res)) return;
      if (res.headersSent) res.destroy();
      else res.writeHead(500, { 'content-type': 'text/plain' }).end('the answer failed\n');
    }
  };

  const { server, url, close } = await serveOnLoopback(
    (req, res) => {
      const tokenId = tokenIdOf(req.url);
      const attempt = (hits.get(tokenId) ?? 0) + 1;
      hits.set(tokenId, attempt);
      totalHits++;
      open++;
      maxOpen = Math.max(maxOpen, open);
      res.on('close', () => {
        open--;
      });
      const chosen =
        answers.get(tokenId) ??
        (metadata.has(tokenId) ? { json: metadata.get(tokenId) } : fallback);
      const request = { tokenId, attempt };
      safely(res, request, () => {
        const answer = typeof chosen === 'function' ? chosen(request) : chosen;
        if (answer.delayMs === undefined) send(req, res, answer);
        else later(answer.delayMs, () => safely(res, request, () => send(req, res, answer)));
      });
    },
    { port: options.port, host: options.host },
  );
  // Every socket, to add up what clients took (a socket's count survives its close).
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => {
      sockets.delete(socket);
      closedBytes += socket.bytesWritten ?? 0;
    });
  });

  return {
    url: `${url}/metadata`,
    metadata,
    answer(tokenId, answer) {
      if (answer === undefined) answers.delete(tokenId);
      else answers.set(tokenId, answer);
    },
    hits: (tokenId) => hits.get(tokenId) ?? 0,
    get totalHits() {
      return totalHits;
    },
    get maxOpen() {
      return maxOpen;
    },
    get bytesSent() {
      let bytes = closedBytes;
      for (const socket of sockets) bytes += socket.bytesWritten ?? 0;
      return bytes;
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await close();
    },
  };
}
