/** Ad-hoc loopback servers for tests, on the kit's helpers (src/server/loopback.ts). */
import type {
  IncomingHttpHeaders,
  IncomingMessage,
  RequestListener,
  ServerResponse,
} from 'node:http';
import { afterEach } from 'vitest';
import { freePort, type LoopbackServer, serveOnLoopback } from '../../src/server/loopback.js';

/** `http://127.0.0.1:<port>` where nothing listens: connecting is refused. */
export async function closedPortUrl(): Promise<string> {
  return `http://127.0.0.1:${await freePort()}`;
}

/** A request as a recording server read it, body and all. */
export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Answers a request a recording server has read to its end; `index` counts from 0. */
export type RecordedHandler = (
  res: ServerResponse,
  seen: SeenRequest,
  index: number,
  req: IncomingMessage,
) => void;

export interface Loopback {
  /** Serves `handler`, on `port` when given (e.g. a port a client already tried). */
  serve(handler: RequestListener, port?: number): Promise<LoopbackServer>;
  /** Serves `handler` after reading each request whole into `requests`. */
  recording(
    handler: RecordedHandler,
    port?: number,
  ): Promise<LoopbackServer & { requests: SeenRequest[] }>;
}

/** Ad-hoc servers for one test file: each one started is closed, connections and all, after its test. */
export function useLoopback(): Loopback {
  const started: LoopbackServer[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((s) => s.close()));
  });
  const serve = async (handler: RequestListener, port?: number) => {
    const server = await serveOnLoopback(handler, { port });
    started.push(server);
    return server;
  };
  return {
    serve,
    async recording(handler, port) {
      const requests: SeenRequest[] = [];
      const server = await serve((req, res) => {
        const seen: SeenRequest = {
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          body: '',
        };
        const index = requests.push(seen) - 1;
        req.setEncoding('utf8');
        req.on('data', (chunk: string) => {
          seen.body += chunk;
        });
        req.on('end', () => handler(res, seen, index, req));
      }, port);
      return { ...server, requests };
    },
  };
}
