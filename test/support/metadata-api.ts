/**
 * The worker e2e tests' stack on the package's Metadata API server: the Metadata API, the
 * reference server fetching from it and a client against that, started by a test and stopped
 * after it ({@link useStacks}); and the answers those tests give tokens.
 */
import { afterEach, beforeAll } from 'vitest';
import { MetadataRefreshClient, type RefreshError } from '../../src/index.js';
import {
  createReferenceServer,
  type MetadataApiAnswer,
  type MetadataApiHandler,
  type MetadataApiServer,
  type ReferenceServer,
  type ReferenceServerOptions,
  startMetadataApiServer,
} from '../../src/server/index.js';
import { OWNER, PRIVATE_KEY } from './fixtures.js';

/** How a token answers: one answer every time, or one chosen per request. */
export type Behaviour = MetadataApiAnswer | MetadataApiHandler;

/** A 200 whose JSON body never ends: one more character every `everyMs`, until the close. */
export const slowDrip = (everyMs: number): MetadataApiAnswer => ({
  body: '{"name":"',
  contentType: 'application/json',
  endless: { everyMs },
});

/** Answers a token's n-th request with the n-th answer, and later ones with the last. */
export const sequence =
  (...answers: MetadataApiAnswer[]): MetadataApiHandler =>
  ({ attempt }) =>
    answers[Math.min(attempt, answers.length) - 1] as MetadataApiAnswer;

/** One request through a throwaway server, so the first test does not pay for the first fetch. */
async function warmUp(): Promise<void> {
  const api = await startMetadataApiServer();
  await (await fetch(`${api.url}/warm-up`)).text();
  await api.close();
}

/** The Metadata API, a reference server (owned by the fixtures' OWNER), a client signing as its key. */
export interface Stack {
  api: MetadataApiServer;
  server: ReferenceServer;
  client: MetadataRefreshClient;
  /** The reference server's base URL. */
  url: string;
}

export interface StackOptions {
  /** The reference server's options but its owner, given the Metadata API it fetches from. */
  server(api: MetadataApiServer): ServerOptions | Promise<ServerOptions>;
  /** What the Metadata API answers a token without an answer of its own. */
  fallback?: Behaviour;
}

type ServerOptions = Omit<ReferenceServerOptions, 'owner'>;

export interface Stacks {
  /** Starts the Metadata API, then the reference server and a client against it. */
  start(options: StackOptions): Promise<Stack>;
  /** The stack the running test started, if any. */
  current(): Stack | undefined;
}

/**
 * One stack per test: registers a warm-up before the file's tests and, after each test, stops
 * its stack (the reference server, then the Metadata API with any answer still delayed or
 * endless).
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
  });
  return {
    async start({ server: configure, fallback }) {
      const api = await startMetadataApiServer({
        fallback: fallback ?? (({ tokenId }) => ({ json: { name: `Hero ${tokenId}` } })),
      });
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
