/**
 * Bench child processes, started by `startChild` (bench/lib.ts) so that a server under load and
 * its load generator, or a measured client and its server, do not share one event loop.
 *
 *   reference <ownerAddress> <seedFailed>   the reference server with one seeded refresh
 *   limited <ownerAddress> <limit> <windowMs> the reference server with a short budget window and
 *                                            a Metadata API that answers 200 '{}' at once
 *   zkevm <apiKey> <limit> <windowMs>        the zkEVM reference server with a short budget window
 *   bare <jsonBody>                          node:http answering every request with jsonBody
 *   metadata <delayMs>                       the package's Metadata API server answering each
 *                                            token from a timer of delayMs
 *   iterate <url> <id> <pageSize> <ours|bare> iterates every error of a refresh, reports rows/s, RSS
 *
 * Servers listen on 127.0.0.1 only, print `{ url, ... }` as their first stdout line and exit
 * when stdin closes (the bench ended or died) or after 5 minutes at most.
 */
import { Agent } from 'node:http';
import { BENCH_COLLECTION, BENCH_PRIVATE_KEY, getJson } from './lib.js';

const HARD_LIMIT_MS = 5 * 60_000;

function reply(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

function exitWhenParentLeaves(close: () => Promise<void>): void {
  const end = () => {
    void close().finally(() => process.exit(0));
  };
  process.stdin.on('end', end);
  process.stdin.on('error', end);
  process.stdin.resume();
  setTimeout(() => process.exit(3), HARD_LIMIT_MS).unref();
}

async function reference(owner: string, seedFailed: number): Promise<void> {
  const { createReferenceServer } = await import('../src/server/index.js');
  const server = createReferenceServer({ owner });
  const id = server.service.seedRefresh({
    collectionAddress: BENCH_COLLECTION,
    failed: seedFailed,
  });
  const { url } = await server.listen(0, '127.0.0.1');
  exitWhenParentLeaves(() => server.close());
  reply({ url, id });
}

async function limited(owner: string, limit: number, windowMs: number): Promise<void> {
  const { createReferenceServer } = await import('../src/server/index.js');
  const server = createReferenceServer({
    owner,
    limits: { refreshesPerHour: limit, windowMs },
    fetchMetadata: async () => ({ status: 200, body: '{}' }),
  });
  const { url } = await server.listen(0, '127.0.0.1');
  exitWhenParentLeaves(() => server.close());
  reply({ url });
}

async function zkevm(apiKey: string, limit: number, windowMs: number): Promise<void> {
  const { createZkEvmReferenceServer } = await import('../src/server/index.js');
  const server = createZkEvmReferenceServer({
    apiKey,
    limits: { refreshesPerHour: limit, windowMs },
  });
  const { url } = await server.listen(0, '127.0.0.1');
  exitWhenParentLeaves(() => server.close());
  reply({ url });
}

/** The floor of section 6: node:http and nothing else, so not the Metadata API server. */
async function bare(body: string): Promise<void> {
  const { serveOnLoopback } = await import('../src/server/loopback.js');
  const server = await serveOnLoopback((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(body);
    });
  });
  exitWhenParentLeaves(() => server.close());
  reply({ url: server.url });
}

async function metadata(delayMs: number): Promise<void> {
  const { startMetadataApiServer } = await import('../src/server/index.js');
  const api = await startMetadataApiServer({
    fallback: ({ tokenId }) => ({
      json: { name: `Token ${tokenId}`, image: `https://img.invalid/${tokenId}` },
      delayMs,
    }),
  });
  exitWhenParentLeaves(() => api.close());
  reply({ url: api.url });
}

/** GETs one page of errors with precomputed headers over a keep-alive agent; the bare floor. */
function bareErrorsPage(
  agent: Agent,
  base: URL,
  path: string,
  headers: Record<string, string>,
): Promise<{ result: { token_id: string }[]; cursor: string; remaining: number }> {
  return getJson({ host: base.hostname, port: base.port, path, agent, headers });
}

/** Every error of a refresh through a bare loop: node:http, JSON.parse, follow the cursor. */
async function* bareErrors(url: string, refreshId: string, pageSize: number) {
  const { imxAuthHeaders } = await import('../src/index.js');
  const headers = { ...(await imxAuthHeaders(BENCH_PRIVATE_KEY)), accept: 'application/json' };
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const base = new URL(url);
  const path = `/v1/metadata-refreshes/${encodeURIComponent(refreshId)}/errors?page_size=${pageSize}`;
  let cursor = '';
  try {
    for (;;) {
      const page = await bareErrorsPage(
        agent,
        base,
        cursor ? `${path}&cursor=${encodeURIComponent(cursor)}` : path,
        headers,
      );
      for (const row of page.result) yield { tokenId: row.token_id };
      if (!page.remaining) return;
      cursor = page.cursor;
    }
  } finally {
    agent.destroy();
  }
}

async function iterate(
  url: string,
  refreshId: string,
  pageSize: number,
  how: 'ours' | 'bare',
): Promise<void> {
  const { MetadataRefreshClient } = await import('../src/index.js');
  const client = new MetadataRefreshClient({ signer: BENCH_PRIVATE_KEY, baseURL: url });
  const rowsOf = () =>
    how === 'ours'
      ? client.iterateRefreshErrors(refreshId, { pageSize })
      : bareErrors(url, refreshId, pageSize);
  // Warm the code paths (and the connection) on a short run, outside the measurement.
  for await (const _ of how === 'ours'
    ? client.iterateRefreshErrors(refreshId, { pageSize: 1 })
    : bareErrors(url, refreshId, 1)) {
    break;
  }
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  const rssBefore = process.memoryUsage.rss();
  const heapBefore = process.memoryUsage().heapUsed;
  let peak = rssBefore;
  let heapPeak = heapBefore;
  const externalBefore = process.memoryUsage().external;
  let externalPeak = externalBefore;
  const sample = () => {
    const mem = process.memoryUsage();
    if (mem.external > externalPeak) externalPeak = mem.external;
    if (mem.rss > peak) peak = mem.rss;
    if (mem.heapUsed > heapPeak) heapPeak = mem.heapUsed;
  };
  const sampler = setInterval(sample, 50);
  let rows = 0;
  let lastTokenId = '';
  const started = process.hrtime.bigint();
  for await (const error of rowsOf()) {
    rows++;
    lastTokenId = error.tokenId;
  }
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  sample();
  clearInterval(sampler);
  gc?.();
  gc?.();
  reply({
    rows,
    ms,
    rssBefore,
    rssPeak: peak,
    heapBefore,
    heapPeak,
    externalBefore,
    externalPeak,
    rssAfterGc: process.memoryUsage.rss(),
    heapAfterGc: process.memoryUsage().heapUsed,
    gcExposed: gc !== undefined,
    lastTokenId,
  });
  process.exit(0);
}

async function main(): Promise<void> {
  const [mode, a = '', b = '', c = '', d = ''] = process.argv.slice(2);
  switch (mode) {
    case 'reference':
      return reference(a, Number(b));
    case 'limited':
      return limited(a, Number(b), Number(c));
    case 'zkevm':
      return zkevm(a, Number(b), Number(c));
    case 'bare':
      return bare(a);
    case 'metadata':
      return metadata(Number(a));
    case 'iterate':
      return iterate(a, b, Number(c), d === 'bare' ? 'bare' : 'ours');
    default:
      throw new Error(`unknown bench child mode ${mode}`);
  }
}

main().catch((error: unknown) => {
  reply({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exit(1);
});
