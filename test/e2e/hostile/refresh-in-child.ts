/**
 * The engine side of the hostile-Metadata-API test, in a process of its own so its RSS is
 * measured alone: a reference server with the default limits (one retry, 1 MiB per body, 16 at
 * once) but a per-attempt timeout of minutes, so that only the cap can end an endless body on
 * however loaded a machine, refreshes the given tokens against the Metadata API at argv[2], prints
 * the error rows, the elapsed time and how far the process's RSS rose above its level before the
 * refresh (an upper bound: the peak RSS of the whole process, minus the RSS before), and each
 * attempt of the (default, HTTP) fetcher.
 */
import { MetadataRefreshClient } from '../../../src/index.js';
import {
  createReferenceServer,
  type FetchMetadata,
  fetchMetadataOverHttp,
} from '../../../src/server/index.js';
import { COLLECTION, OWNER, PRIVATE_KEY } from '../../support/fixtures.js';

const [metadataApiUrl, tokenList] = process.argv.slice(2) as [string, string];
const tokenIds = tokenList.split(',');

/** Every attempt, as the worker saw it: so the test can tell a cap from a timeout per attempt. */
const attempts: { tokenId: string; ms: number; status: number | null; truncated: boolean }[] = [];
const fetchMetadata: FetchMetadata = async (request) => {
  const startedAt = performance.now();
  const result = await fetchMetadataOverHttp(request);
  attempts.push({
    tokenId: request.tokenId,
    ms: Math.round(performance.now() - startedAt),
    status: result.status,
    truncated: 'truncated' in result && result.truncated === true,
  });
  return result;
};

const server = createReferenceServer({
  owner: OWNER,
  collections: [{ address: COLLECTION, metadataApiUrl }],
  fetchTimeoutMs: 300_000,
  fetchMetadata,
});
const { url } = await server.listen();
const client = new MetadataRefreshClient({ signer: PRIVATE_KEY, baseURL: url });
// Warm up the HTTP stacks (client, server, the worker's fetch) so their first use is not counted.
await client.listRefreshes();
await fetch(`${metadataApiUrl}/warm-up`)
  .then((r) => r.body?.cancel())
  .catch(() => undefined);
globalThis.gc?.();
const rssBefore = process.memoryUsage().rss;
const startedAt = performance.now();

const { refreshId } = await client.requestRefresh({ collectionAddress: COLLECTION, tokenIds });
await server.service.settled();
const elapsedMs = performance.now() - startedAt;
const peakRss = process.resourceUsage().maxRSS * 1024;
const refresh = await client.getRefresh(refreshId);
const errors = [];
for await (const row of client.iterateRefreshErrors(refreshId)) errors.push(row);
await server.close();
process.stdout.write(
  `${JSON.stringify({ summary: refresh.summary, errors, attempts, elapsedMs, rssGrowth: peakRss - rssBefore })}\n`,
);
