import { describe, expect, it } from 'vitest';
import { parseCollectionArg, startServe } from '../../src/cli/serve.js';
import { MetadataRefreshClient } from '../../src/index.js';
import { COLLECTION, OWNER, PRIVATE_KEY } from '../support/fixtures.js';

describe('serve', () => {
  it('parses address=metadataApiUrl and refuses anything else', () => {
    expect(parseCollectionArg(`${COLLECTION}=http://localhost:4000/metadata`)).toEqual({
      address: COLLECTION,
      metadataApiUrl: 'http://localhost:4000/metadata',
    });
    expect(() => parseCollectionArg('0x12=http://x')).toThrow(/0x \+ 40 hex/);
    expect(() => parseCollectionArg(`${COLLECTION}=ftp://x`)).toThrow(/http\(s\) URL/);
    expect(() => parseCollectionArg(COLLECTION)).toThrow(/address=metadataApiUrl/);
  });

  it('requires an owner and a collection unless --demo', async () => {
    const base = { port: 0, host: '127.0.0.1', demo: false };
    await expect(startServe({ ...base, collections: [] }, () => {})).rejects.toThrow(
      /--owner is required/,
    );
    await expect(startServe({ ...base, owner: OWNER, collections: [] }, () => {})).rejects.toThrow(
      /at least one --collection/,
    );
  });

  it('serves the configured owner and collections with the given limits', async () => {
    const lines: string[] = [];
    const running = await startServe(
      {
        port: 0,
        host: '127.0.0.1',
        demo: true,
        owner: OWNER,
        collections: [parseCollectionArg(`${COLLECTION}=http://127.0.0.1:9/metadata`)],
        refreshesPerHour: 2,
      },
      (line) => lines.push(line),
    );
    try {
      expect(lines.join('\n')).toContain(
        `Reference metadata refresh service on ${running.url} (owner ${OWNER})`,
      );
      expect(lines.join('\n')).toContain('Demo Metadata API on http://127.0.0.1:');
      const client = new MetadataRefreshClient({ signer: PRIVATE_KEY, baseURL: running.url });
      const { rateLimit } = await client.requestRefresh({
        collectionAddress: COLLECTION,
        tokenIds: ['1'],
      });
      expect(rateLimit).toMatchObject({ limit: 2, remaining: 1 });
    } finally {
      await running.stop();
    }
  });

  it('with --demo and no owner, makes a throwaway owner and prints its key', async () => {
    const lines: string[] = [];
    const running = await startServe(
      { port: 0, host: '127.0.0.1', demo: true, collections: [] },
      (line) => lines.push(line),
    );
    try {
      const key = /IMX_PRIVATE_KEY=(0x[0-9a-f]{64})/.exec(lines.join('\n'))?.[1];
      expect(key).toBeDefined();
      const client = new MetadataRefreshClient({ signer: key as string, baseURL: running.url });
      const page = await client.listRefreshes();
      expect(page.result).toEqual([]);
      const stranger = new MetadataRefreshClient({ signer: PRIVATE_KEY, baseURL: running.url });
      await expect(stranger.listRefreshes()).rejects.toMatchObject({ status: 403 });
    } finally {
      await running.stop();
    }
  });
});
