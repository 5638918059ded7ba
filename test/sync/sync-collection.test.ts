/**
 * syncCollection against the zkEVM reference engine (through msw, on the test clock): a
 * 10,000-NFT collection whose source differs for a random 3%, found exactly, pushed in the fewest
 * pushes, and found in sync afterwards; incremental, resumable, honest about what it cannot read.
 */
import { HttpResponse, http } from 'msw';
import { describe, expect, it } from 'vitest';
import type { MintedNft } from '../../src/engine/zkevm/index.js';
import {
  InvalidRequestError,
  MetadataReadError,
  type MetadataSource,
  memorySyncCheckpoint,
  type NftMetadata,
  PaginationCycleError,
  RefreshScheduler,
  type SyncCheckpoint,
  syncCollection,
  zkEvmTarget,
} from '../../src/index.js';
import { server } from '../support/msw.js';
import { seededRandom } from '../support/seeded-random.js';
import { CONTRACT, useZkEvm, ZK_BASE_URL, ZK_CHAIN } from '../support/zkevm-engine.js';

const NFTS = 10_000;
const PUSH_PATH = `/v1/chains/${ZK_CHAIN}/collections/${CONTRACT}/nfts/refresh-metadata`;
const LIST_PATH = `/v1/chains/${ZK_CHAIN}/collections/${CONTRACT}/nfts`;

const hero = (id: number, level: number): NftMetadata => ({
  name: `Hero #${id}`,
  description: null,
  image: `https://game.test/heroes/${id}.png`,
  externalUrl: null,
  animationUrl: null,
  youtubeUrl: null,
  attributes: [
    { traitType: 'Level', value: level, displayType: 'number' },
    { traitType: 'Class', value: 'mage' },
  ],
});

/** The game's truth: every hero at level 1, except those `drift` changed. */
function game(count = NFTS) {
  const truth = new Map<string, NftMetadata>();
  for (let i = 1; i <= count; i += 1) truth.set(String(i), hero(i, 1));
  const reads: string[][] = [];
  const source: MetadataSource = async (_contract, ids) => {
    reads.push([...ids]);
    return new Map(ids.map((id) => [id, truth.get(id) ?? new Error('no such hero')]));
  };
  return { truth, reads, source };
}

/** Changes a seeded random `share` of the heroes in the game, each in a way the platform shows. */
function drift(truth: Map<string, NftMetadata>, share: number, seed = 7): string[] {
  const random = seededRandom(seed);
  const changed: string[] = [];
  for (const [id, metadata] of truth) {
    if (random() >= share) continue;
    changed.push(id);
    const kind = changed.length % 3;
    if (kind === 0) truth.set(id, hero(Number(id), 2));
    // The same traits in another order: the platform keeps the order, so a marketplace shows it.
    else if (kind === 1)
      truth.set(id, { ...metadata, attributes: [...(metadata.attributes ?? [])].reverse() });
    // 1 and "1" differ.
    else
      truth.set(id, {
        ...metadata,
        attributes: [
          { traitType: 'Level', value: '1', displayType: 'number' },
          { traitType: 'Class', value: 'mage' },
        ],
      });
  }
  return changed;
}

describe('syncCollection', () => {
  const api = useZkEvm({ limits: { refreshesPerHour: 100 } });

  const mintAll = (truth: Map<string, NftMetadata>) =>
    api.service.mint(
      CONTRACT,
      [...truth].map(
        ([tokenId, m]): MintedNft => ({ tokenId, ...m, attributes: m.attributes ?? [] }),
      ),
    );

  const pushes = () => api.requests.filter((r) => r.method === 'POST' && r.path === PUSH_PATH);
  const listReads = () => api.requests.filter((r) => r.method === 'GET' && r.path === LIST_PATH);

  it('finds exactly the drifted 3% of 10,000 NFTs, pushes exactly those in ceil(n / 250) pushes, then finds none', async () => {
    const { truth, source } = game();
    mintAll(truth);
    // Alike on the platform: "" and null, a missing displayType and null.
    truth.set('5', { ...hero(5, 1), description: '' });
    const changed = drift(truth, 0.03);
    const zk = api.client();

    const dry = await syncCollection({ client: zk, contractAddress: CONTRACT, source });
    expect(dry).toMatchObject({
      dryRun: true,
      scanned: NFTS,
      drifted: changed.length,
      enqueued: 0,
    });
    expect(dry.inSync).toBe(NFTS - changed.length);
    expect(dry.samples).toHaveLength(20);
    for (const sample of dry.samples) {
      expect(changed).toContain(sample.tokenId);
      expect(sample.fields).toEqual(['attributes']);
    }
    expect(pushes()).toHaveLength(0);
    // Pages of 200.
    expect(listReads().map((r) => r.query.get('page_size'))).toEqual(
      Array.from({ length: NFTS / 200 }, () => '200'),
    );

    const scheduler = new RefreshScheduler({
      target: zkEvmTarget({ client: zk, metadata: source }),
      clock: api.clock,
    });
    const sync = await syncCollection({ client: zk, contractAddress: CONTRACT, source, scheduler });
    expect(sync).toMatchObject({
      dryRun: false,
      drifted: changed.length,
      enqueued: changed.length,
    });
    scheduler.start();
    await scheduler.drained();
    await scheduler.stop();
    const pushed = pushes().flatMap((r) =>
      (r.body as { nft_metadata: { token_id: string }[] }).nft_metadata.map((n) => n.token_id),
    );
    expect(pushed.sort()).toEqual([...changed].sort());
    expect(pushes()).toHaveLength(Math.ceil(changed.length / 250));

    await api.clock.sleep(1_000); // the platform applies the pushes
    const again = await syncCollection({ client: zk, contractAddress: CONTRACT, source });
    expect(again).toMatchObject({ scanned: NFTS, drifted: 0, inSync: NFTS, unreadable: 0 });
  }, 60_000);

  it('fromUpdatedAt compares only the NFTs the platform changed since', async () => {
    const { truth, source, reads } = game(600);
    mintAll(truth);
    await api.clock.sleep(60_000);
    const since = new Date(api.clock.now());
    const zk = api.client();
    truth.set('42', hero(42, 9));
    await zk.refreshNftMetadata({
      contractAddress: CONTRACT,
      nfts: [{ tokenId: '42', ...hero(42, 5) }],
    });
    await api.clock.sleep(1_000);
    const report = await syncCollection({
      client: zk,
      contractAddress: CONTRACT,
      source,
      fromUpdatedAt: since,
    });
    expect(report).toMatchObject({
      scanned: 1,
      drifted: 1,
      samples: [{ tokenId: '42', fields: ['attributes'] }],
    });
    expect(reads).toEqual([['42']]);
    expect(listReads().at(-1)?.query.get('from_updated_at')).toBe(since.toISOString());
  });

  it('reports what the source cannot read, with its code, and never enqueues it', async () => {
    const { truth } = game(10);
    mintAll(truth);
    const failing: MetadataSource = async (_contract, ids) =>
      new Map(
        ids.map((id): [string, NftMetadata | Error] => {
          if (id === '1')
            return [
              id,
              new MetadataReadError({
                errorCode: 'invalid_response_status_code',
                statusCode: 404,
                transient: false,
              }),
            ];
          if (id === '2')
            return [
              id,
              new MetadataReadError({
                errorCode: 'unable_to_decode_response',
                statusCode: 200,
                transient: false,
              }),
            ];
          if (id === '3')
            return [
              id,
              new MetadataReadError({
                errorCode: 'unable_to_retrieve_metadata',
                statusCode: null,
                transient: true,
              }),
            ];
          if (id === '4') return [id, { name: 7 } as never]; // breaks the push's rules
          if (id === '5') return [id, { ...hero(5, 3) }];
          return [id, truth.get(id) as NftMetadata];
        }),
      );
    const enqueued: string[] = [];
    const report = await syncCollection({
      client: api.client(),
      contractAddress: CONTRACT,
      source: failing,
      scheduler: { enqueue: async (_c, ids) => void enqueued.push(...ids) },
    });
    expect(report.unreadableTokens).toEqual([
      { tokenId: '1', errorCode: 'invalid_response_status_code' },
      { tokenId: '2', errorCode: 'unable_to_decode_response' },
      { tokenId: '3', errorCode: 'unable_to_retrieve_metadata' },
      { tokenId: '4', errorCode: 'invalid_metadata' },
    ]);
    expect(report).toMatchObject({ scanned: 10, unreadable: 4, drifted: 1, inSync: 5 });
    expect(enqueued).toEqual(['5']);
  });

  it('resumes after the last page fully handled: that page is not read again, nothing is lost', async () => {
    const { truth, source } = game(1_000);
    mintAll(truth);
    const changed = drift(truth, 0.05, 3);
    const checkpoint = memorySyncCheckpoint();
    const enqueued: string[] = [];
    let calls = 0;
    const flaky = {
      async enqueue(_c: string, ids: readonly string[]) {
        calls += 1;
        if (calls === 3) throw new Error('store down');
        enqueued.push(...ids);
      },
    };
    const zk = api.client();
    await expect(
      syncCollection({
        client: zk,
        contractAddress: CONTRACT,
        source,
        scheduler: flaky,
        checkpoint,
      }),
    ).rejects.toThrow('store down');
    const saved = (await checkpoint.load()) as SyncCheckpoint;
    expect(saved.counts.scanned).toBeGreaterThan(0);
    expect(saved.counts.scanned % 200).toBe(0);
    const readsBefore = listReads().length;
    const resumed = await syncCollection({
      client: zk,
      contractAddress: CONTRACT,
      source,
      scheduler: flaky,
      checkpoint,
    });
    expect(resumed).toMatchObject({ resumed: true, scanned: 1_000, drifted: changed.length });
    expect(enqueued.sort()).toEqual([...changed].sort());
    // The resumed run read only the pages after the checkpoint.
    expect(listReads().length - readsBefore).toBe((1_000 - saved.counts.scanned) / 200);
    expect(await checkpoint.load()).toBeUndefined();
    // Another sync's checkpoint is refused, not resumed.
    await checkpoint.save({ ...saved, contractAddress: `0x${'9'.repeat(40)}` });
    await expect(
      syncCollection({ client: zk, contractAddress: CONTRACT, source, checkpoint }),
    ).rejects.toBeInstanceOf(InvalidRequestError);
  });

  it('a page cursor that cycles gives PaginationCycleError', async () => {
    server.use(
      http.get(`${ZK_BASE_URL}${LIST_PATH}`, ({ request }) => {
        const cursor = new URL(request.url).searchParams.get('page_cursor');
        const next = cursor === 'QQ' ? 'Qg' : 'QQ';
        return HttpResponse.json({
          result: [],
          page: { previous_cursor: null, next_cursor: next },
        });
      }),
    );
    const { source } = game(1);
    await expect(
      syncCollection({ client: api.client(), contractAddress: CONTRACT, source }),
    ).rejects.toBeInstanceOf(PaginationCycleError);
  });
});
