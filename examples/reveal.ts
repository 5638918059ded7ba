/**
 * The delayed-reveal flow from the service description:
 * mint → (later) update the Metadata API with the revealed properties → refresh → wait →
 * confirm the revealed values are live.
 *
 * Run: npx tsx examples/reveal.ts
 */
import { startLocalPlatform } from './support/local-platform.js';

export async function reveal(log: (line: string) => void = console.log) {
  const platform = await startLocalPlatform({ tokenIds: [] });
  const { client, server, collectionAddress, api } = platform;
  try {
    // 1. Mint three mystery boxes: the platform now knows the tokens; the Metadata API shows them unrevealed.
    const tokenIds = ['101', '102', '103'];
    server.service.addTokens(collectionAddress, tokenIds);
    for (const id of tokenIds) api.metadata.set(id, { name: 'Mystery box', revealed: false });
    const first = await client.requestRefresh({ collectionAddress, tokenIds });
    await client.waitForRefresh(first.refreshId, { pollIntervalMs: 50 });
    log(
      `Minted ${tokenIds.join(', ')}: ${JSON.stringify(await asset(platform.url, collectionAddress, '101'))}`,
    );

    // 2. Reveal time: update the Metadata API first, only then refresh.
    const rarities = ['common', 'rare', 'legendary'];
    tokenIds.forEach((id, i) => {
      api.metadata.set(id, { name: `Hero #${id}`, revealed: true, rarity: rarities[i] });
    });
    const { refreshId, rateLimit } = await client.requestRefresh({ collectionAddress, tokenIds });
    log(
      `Requested reveal refresh ${refreshId} (${rateLimit?.remaining} refresh requests left this hour)`,
    );
    const done = await client.waitForRefresh(refreshId, {
      pollIntervalMs: 50,
      onProgress: (r) => log(`  ${r.status}: ${r.summary.succeeded}/${tokenIds.length} refreshed`),
    });
    if (done.summary.failed > 0) throw new Error(`${done.summary.failed} tokens failed to reveal`);

    // 3. Confirm through the assets endpoint that the revealed values are live.
    const live = await Promise.all(
      tokenIds.map((id) => asset(platform.url, collectionAddress, id)),
    );
    for (const a of live) log(`  ${a.token_id}: ${JSON.stringify(a.metadata)}`);
    return live;
  } finally {
    await platform.close();
  }
}

async function asset(url: string, collection: string, tokenId: string) {
  const response = await fetch(`${url}/v1/assets/${collection}/${tokenId}`);
  if (!response.ok) throw new Error(`asset ${tokenId}: HTTP ${response.status}`);
  return (await response.json()) as { token_id: string; metadata: Record<string, unknown> };
}

if (process.argv[1]?.endsWith('reveal.ts')) await reveal();
