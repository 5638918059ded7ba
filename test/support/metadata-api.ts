/**
 * A fake Metadata API for the worker e2e tests and the zkEVM fleet: node:http on 127.0.0.1 answering each token with
 * the behaviour set for it, counting hits per token and requests in flight, and destroying its
 * sockets on close; with the reference server and a client against it, started by a test and
 * stopped after it ({@link useStacks}).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, beforeAll } from 'vitest';
import { MetadataRefreshClient, type RefreshError } from '../../src/index.js';
import {
  createReferenceServer,
  type ReferenceServer,
  type ReferenceServerOptions,
} from '../../src/server/index.js';
import { OWNER, PRIVATE_KEY } from './fixtures.js';

/** How the fake answers one request for a token; `attempt` counts that token's requests from 1. */
export type Behaviour = (req: IncomingMessage, res: ServerResponse, attempt: number) => void;

export interface MetadataApi {
  /** The base URL; a token is fetched at `${url}/${tokenId}`. */
  url: string;
  behave(tokenId: string, behaviour: Behaviour): void;
  hits(tokenId: string): number;
  readonly totalHits: number;
  readonly maxOpen: number;
  close(): Promise<void>;
}

const timers = new Set<NodeJS.Timeout>();

/** Runs `run` after `ms`, unless {@link clearTimers} comes first. */
export function later(ms: number, run: () => void): void {
  const timer = setTimeout(() => {
    timers.delete(timer);
    run();
  }, ms);
  timers.add(timer);
}

/** Clears every timer the behaviours started and has not cleared yet. */
function clearTimers(): void {
  for (const timer of timers) clearTimeout(timer);
  timers.clear();
}

/** Whether a response can still be written to. */
export const live = (res: ServerResponse) => !res.destroyed && !res.writableEnded;

export const respond =
  (status: number, body: string, contentType = 'text/plain'): Behaviour =>
  (_req, res) => {
    if (live(res)) res.writeHead(status, { 'content-type': contentType }).end(body);
  };

export const json = (value: unknown): Behaviour =>
  respond(200, JSON.stringify(value), 'application/json');

/** A 200 whose JSON body never ends: one more character every `everyMs`, until the close. */
export const slowDrip =
  (everyMs: number): Behaviour =>
  (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.flushHeaders();
    res.write('{"name":"');
    const timer = setInterval(() => {
      if (live(res)) res.write('a');
    }, everyMs);
    timers.add(timer);
    res.on('close', () => {
      clearInterval(timer);
      timers.delete(timer);
    });
  };

/** Starts the fake; a token without a behaviour of its own gets `fallback(tokenId)`. */
export async function startMetadataApi(
  fallback: (tokenId: string) => Behaviour = (tokenId) => json({ name: `Hero ${tokenId}` }),
): Promise<MetadataApi> {
  const behaviours = new Map<string, Behaviour>();
  const hits = new Map<string, number>();
  const sockets = new Set<Socket>();
  let totalHits = 0;
  let open = 0;
  let maxOpen = 0;
  const server: Server = createServer((req, res) => {
    const tokenId = decodeURIComponent(req.url?.split('/').pop() ?? '');
    const attempt = (hits.get(tokenId) ?? 0) + 1;
    hits.set(tokenId, attempt);
    totalHits++;
    open++;
    maxOpen = Math.max(maxOpen, open);
    res.on('close', () => {
      open--;
    });
    (behaviours.get(tokenId) ?? fallback(tokenId))(req, res, attempt);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/metadata`,
    behave: (tokenId, behaviour) => {
      behaviours.set(tokenId, behaviour);
    },
    hits: (tokenId) => hits.get(tokenId) ?? 0,
    get totalHits() {
      return totalHits;
    },
    get maxOpen() {
      return maxOpen;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** One request through a throwaway fake, so the first test does not pay for the first fetch. */
async function warmUp(): Promise<void> {
  const api = await startMetadataApi();
  await (await fetch(`${api.url}/warm-up`)).text();
  await api.close();
}

/** The fake, a reference server (owned by the fixtures' OWNER) and a client signing as its key. */
export interface Stack {
  api: MetadataApi;
  server: ReferenceServer;
  client: MetadataRefreshClient;
  /** The reference server's base URL. */
  url: string;
}

export interface StackOptions {
  /** The reference server's options but its owner, given the fake it fetches from. */
  server(api: MetadataApi): ServerOptions | Promise<ServerOptions>;
  /** What the fake answers for a token without a behaviour of its own. */
  fallback?: (tokenId: string) => Behaviour;
}

type ServerOptions = Omit<ReferenceServerOptions, 'owner'>;

export interface Stacks {
  /** Starts the fake, then the reference server and a client against it. */
  start(options: StackOptions): Promise<Stack>;
  /** The stack the running test started, if any. */
  current(): Stack | undefined;
}

/**
 * One stack per test: registers a warm-up before the file's tests and, after each test, stops
 * its stack (the reference server, then the fake) and any timer a behaviour left running.
 */
export function useStacks(): Stacks {
  let current: Stack | undefined;
  beforeAll(warmUp);
  afterEach(async () => {
    const stack = current;
    current = undefined;
    if (stack) {
      await stack.server.close();
      await stack.api.close();
    }
    clearTimers();
  });
  return {
    async start({ server: configure, fallback }) {
      const api = await startMetadataApi(fallback);
      const server = createReferenceServer({ owner: OWNER, ...(await configure(api)) });
      const { url } = await server.listen();
      const client = new MetadataRefreshClient({ signer: PRIVATE_KEY, baseURL: url });
      current = { api, server, client, url };
      return current;
    },
    current: () => current,
  };
}

/** Every error row of a refresh, through the client's iterator. */
export async function errorsOf(
  client: MetadataRefreshClient,
  refreshId: string,
  pageSize?: number,
): Promise<RefreshError[]> {
  const rows: RefreshError[] = [];
  for await (const row of client.iterateRefreshErrors(refreshId, { pageSize })) rows.push(row);
  return rows;
}
