/**
 * Stream every error of a large refresh with `for await` (one page in memory at a time) and group
 * the failed tokens by error code.
 *
 * Run: npx tsx examples/audit-errors.ts
 */
import type { MetadataRefreshClient } from 'imx-metadata-refresh';
import { startLocalPlatform } from './support/local-platform.js';

export async function auditErrors(client: MetadataRefreshClient, refreshId: string) {
  const byCode = new Map<string, string[]>();
  for await (const error of client.iterateRefreshErrors(refreshId, { pageSize: 200 })) {
    const tokens = byCode.get(error.errorCode) ?? [];
    tokens.push(error.tokenId);
    byCode.set(error.errorCode, tokens);
  }
  return byCode;
}

export async function auditDemo(log: (line: string) => void = console.log) {
  const platform = await startLocalPlatform({
    tokenIds: Array.from({ length: 990 }, (_, i) => String(i + 1)),
  });
  const { client, collectionAddress, api } = platform;
  try {
    // A Metadata API that is down for every 7th token and has nothing (404) for every 5th.
    for (let i = 1; i <= 1000; i++) {
      if (i % 7 === 0) api.answer(String(i), { status: 503, body: 'error 503' });
      else if (i % 5 !== 0) api.metadata.set(String(i), { name: `Token ${i}` });
    }
    const tokenIds = Array.from({ length: 1000 }, (_, i) => String(i + 1));
    const { refreshId } = await client.requestRefresh({ collectionAddress, tokenIds });
    const done = await client.waitForRefresh(refreshId, { pollIntervalMs: 100 });
    log(`Refresh ${refreshId}: ${done.summary.succeeded} succeeded, ${done.summary.failed} failed`);
    const byCode = await auditErrors(client, refreshId);
    for (const [code, tokens] of byCode) {
      log(
        `  ${code.padEnd(30)} ${String(tokens.length).padStart(4)}  e.g. ${tokens.slice(0, 5).join(', ')}`,
      );
    }
    return byCode;
  } finally {
    await platform.close();
  }
}

if (process.argv[1]?.endsWith('audit-errors.ts')) await auditDemo();
