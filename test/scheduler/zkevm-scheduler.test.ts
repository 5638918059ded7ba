/**
 * The scheduler driving zkEVM: game events in, each token's latest metadata pushed in full
 * batches paced to the budget the answers announce; against the zkEVM reference engine (through
 * msw), client, engine and scheduler on one virtual clock.
 */
import { describe, expect, it } from 'vitest';
import {
  MemoryStore,
  MetadataReadError,
  type MetadataSource,
  metadataApiSource,
  type NftMetadataPush,
  RefreshScheduler,
  type RefreshSchedulerOptions,
  type SchedulerEvent,
  TimeoutError,
  type ZkEvmMetadataClient,
  type ZkEvmSchedulerClient,
  zkEvmTarget,
} from '../../src/index.js';
import type { MetadataFetchResult } from '../../src/metadata-api/types.js';
import { MAX_ITEM_BYTES, MAX_LIST_BYTES, wireByteLength } from '../../src/wire/zkevm/limits.js';
import { CONTRACT, useZkEvm, ZK_CHAIN } from '../support/zkevm-engine.js';

const WINDOW_MS = 60_000;
const LIMIT = 12;
const PUSH_PATH = `/v1/chains/${ZK_CHAIN}/collections/${CONTRACT}/nfts/refresh-metadata`;
const ids = (n: number, from = 1) => Array.from({ length: n }, (_, i) => String(i + from));

/** The game's own database: each token's level, read at send time. */
function gameDatabase(description = '') {
  const level = new Map<string, number>();
  const reads: string[][] = [];
  const source: MetadataSource = async (_contract, tokenIds) => {
    reads.push([...tokenIds]);
    return new Map(
      tokenIds.map((tokenId) => [
        tokenId,
        {
          name: `Hero #${tokenId}`,
          description: description || null,
          attributes: [
            { traitType: 'Level', value: level.get(tokenId) ?? 1, displayType: 'number' as const },
          ],
        },
      ]),
    );
  };
  return { level, reads, source };
}

function run(
  api: ReturnType<typeof useZkEvm>,
  options: Omit<Partial<RefreshSchedulerOptions>, 'client'> & {
    metadata: MetadataSource;
    client?: ZkEvmSchedulerClient;
    verify?: { timeoutMs?: number };
  },
) {
  const statuses: number[] = [];
  const zk = api.client({ onResponse: (r) => r.method === 'POST' && statuses.push(r.status) });
  const events: (SchedulerEvent & { at: number })[] = [];
  const { metadata, client, verify, budget, ...rest } = options;
  const scheduler = new RefreshScheduler({
    target: zkEvmTarget({ client: client ?? zk, metadata, verify }),
    clock: api.clock,
    pollIntervalMs: 1_000,
    onEvent: (e) => events.push({ ...e, at: api.clock.now() }),
    budget: { windowMs: WINDOW_MS, ...budget },
    ...rest,
  });
  const finals = () => {
    const out = new Map<string, SchedulerEvent[]>();
    for (const e of events) {
      if (e.type === 'tokenSucceeded' || e.type === 'tokenFailed') {
        out.set(e.tokenId, [...(out.get(e.tokenId) ?? []), e]);
      }
    }
    return out;
  };
  const pushes = () =>
    api.requests
      .filter((r) => r.method === 'POST' && r.path === PUSH_PATH)
      .map((r) => (r.body as { nft_metadata: { token_id: string }[] }).nft_metadata);
  return { scheduler, zk, events, statuses, finals, pushes };
}

/**
 * Replays the engine's windows (one opens with the first push after the last ended, and lasts
 * WINDOW_MS) over the pushes' times: none holds more than `max`; with `full`, every window but
 * the last holds exactly `max` (the budget was used, not wasted).
 */
function expectPacedToEngineWindows(
  events: (SchedulerEvent & { at: number })[],
  max: number,
  full = false,
) {
  const times = events.filter((e) => e.type === 'batchSent').map((e) => e.at);
  const counts: number[] = [];
  let opened = Number.NEGATIVE_INFINITY;
  for (const at of times) {
    if (at >= opened + WINDOW_MS) {
      opened = at;
      counts.push(0);
    }
    counts[counts.length - 1] = (counts.at(-1) ?? 0) + 1;
  }
  expect(Math.max(...counts)).toBeLessThanOrEqual(max);
  if (full) expect(counts.slice(0, -1).every((c) => c === max)).toBe(true);
}

describe('RefreshScheduler on zkEVM', () => {
  const api = useZkEvm({ limits: { refreshesPerHour: LIMIT, windowMs: WINDOW_MS } });

  it('pushes thousands of ids in full batches paced to the learned budget, latest level winning, without a 429', async () => {
    const db = gameDatabase();
    let levelled = false;
    let scheduler: RefreshScheduler | undefined;
    // Level-ups while the backlog waits, as the third batch is read: ids already pushed, ids
    // pending and an id of the batch being read level up again, and the game enqueues them.
    const source: MetadataSource = async (contract, batch, o) => {
      if (!levelled && db.reads.length === 2) {
        levelled = true;
        for (const id of ['1', '600', '2999']) db.level.set(id, 9);
        await scheduler?.enqueue(CONTRACT, ['1', '600', '2999']);
      }
      return db.source(contract, batch, o);
    };
    const t = run(api, { metadata: source });
    scheduler = t.scheduler;
    await t.scheduler.enqueue(CONTRACT, ids(3_000));
    t.scheduler.start();
    await t.scheduler.drained();
    await t.scheduler.stop();

    expect(t.statuses.every((s) => s === 202)).toBe(true);
    const pushes = t.pushes();
    // 3000 ids are 12 full pushes; '1' was pushed before it levelled up, so it is pushed again.
    expect(pushes.slice(0, 12).map((p) => p.length)).toEqual(Array(12).fill(250));
    const pushedIds = pushes.flat().map((i) => i.token_id);
    expect(pushedIds.filter((id) => id === '1')).toHaveLength(2);
    expect(pushedIds.filter((id) => id === '2999')).toHaveLength(1);
    expect(new Set(pushedIds).size).toBe(3_000);
    expectPacedToEngineWindows(t.events, LIMIT);
    // Every NFT holds its latest metadata.
    await api.service.settled();
    for (const id of ['1', '600', '2999', '2']) {
      const nft = api.service.nft(CONTRACT, id);
      expect(nft?.attributes?.[0]?.value, `token ${id}`).toBe(id === '2' ? 1 : 9);
    }
    // Every id ends: once per push that carried it.
    const finals = t.finals();
    expect(finals.size).toBe(3_000);
    expect(finals.get('1')).toHaveLength(2);
    expect([...finals.values()].flat().every((e) => e.type === 'tokenSucceeded')).toBe(true);
  });

  it('learns the limit from the first answer and the reserve stays free', async () => {
    const db = gameDatabase();
    // Batches of 10: the same 25 pushes and answers as 6250 ids of 250, at a 25th of the bytes.
    const t = run(api, { metadata: db.source, budget: { reserve: 2 }, maxBatchSize: 10 });
    await t.scheduler.enqueue(CONTRACT, ids(10 * 25));
    const before = await t.scheduler.stats();
    expect(before.budget).toMatchObject({ limit: undefined, remaining: undefined });
    t.scheduler.start();
    await t.scheduler.drained();
    const after = await t.scheduler.stats();
    await t.scheduler.stop();
    expect(after.budget.limit).toBe(LIMIT - 2);
    expect(t.statuses.every((s) => s === 202)).toBe(true);
    expect(t.pushes()).toHaveLength(25);
    expect(t.pushes().every((p) => p.length === 10)).toBe(true);
    expectPacedToEngineWindows(t.events, LIMIT - 2, true);
    expect(t.events.some((e) => e.type === 'budgetWait')).toBe(true);
  });

  it('puts a batch back untouched on a 429 and sends it after retry-after', async () => {
    const db = gameDatabase();
    const t = run(api, { metadata: db.source });
    await t.scheduler.enqueue(CONTRACT, ids(10));
    api.service.setRemainingRefreshes(0);
    t.scheduler.start();
    await t.scheduler.drained();
    await t.scheduler.stop();
    expect(t.statuses[0]).toBe(429);
    expect(t.statuses.slice(1)).toEqual([202]);
    const wait = t.events.find((e) => e.type === 'budgetWait');
    expect(wait).toBeDefined();
    const sent = t.events.find((e) => e.type === 'batchSent');
    expect(sent?.at).toBeGreaterThanOrEqual((wait as { until: Date }).until.getTime());
    expect(t.finals().size).toBe(10);
  });

  it('packs by bytes: every push under 228 KiB and full while a backlog waits', async () => {
    const db = gameDatabase('x'.repeat(2_000));
    const t = run(api, { metadata: db.source });
    await t.scheduler.enqueue(CONTRACT, ids(1_000));
    t.scheduler.start();
    await t.scheduler.drained();
    await t.scheduler.stop();
    const pushes = t.pushes();
    const itemBytes = wireByteLength(pushes[0]?.[0]);
    for (const [i, push] of pushes.entries()) {
      expect(wireByteLength(push)).toBeLessThanOrEqual(MAX_LIST_BYTES);
      // Full: one more item would not have fitted (all but the last push).
      if (i < pushes.length - 1) {
        expect(wireByteLength(push) + itemBytes + 1).toBeGreaterThan(MAX_LIST_BYTES);
      }
    }
    expect(pushes[0]?.length).toBeLessThan(250);
    expect(new Set(pushes.flat().map((i) => i.token_id)).size).toBe(1_000);
    expect(t.finals().size).toBe(1_000);
  });

  it('ends tokens the Metadata API fails on with its codes, and never pushes them', async () => {
    const fetched: string[] = [];
    const answers: Record<string, () => MetadataFetchResult> = {
      '1': () => ({ status: 200, body: JSON.stringify({ name: 'ok', image: 'https://i/1' }) }),
      '2': () => ({ status: null, reason: 'timeout' }),
      '3': () => ({ status: 404, body: 'no such token' }),
      '4': () => ({ status: 200, body: '<html>' }),
      '5': () => ({ status: 200, body: JSON.stringify({ name: 'x'.repeat(MAX_ITEM_BYTES) }) }),
      '6': () => ({ status: 200, body: JSON.stringify({ name: 7 }) }),
      '7': () => ({ status: 503, body: 'busy' }),
      // Large and invalid: fixing its size would not make it pushable, so it is invalid.
      '8': () => ({
        status: 200,
        body: JSON.stringify({ name: 8, description: 'x'.repeat(MAX_ITEM_BYTES) }),
      }),
    };
    const metadata = metadataApiSource({
      baseUrl: 'https://game.test/metadata',
      fetchMetadata: async ({ url, tokenId }) => {
        fetched.push(url);
        return (answers[tokenId] as () => MetadataFetchResult)();
      },
    });
    const t = run(api, { metadata, retry: { attempts: 2 } });
    await t.scheduler.enqueue(CONTRACT, ids(8));
    t.scheduler.start();
    await t.scheduler.drained();
    await t.scheduler.stop();
    const finals = t.finals();
    const outcome = (id: string) => {
      const [e] = finals.get(id) ?? [];
      return e?.type === 'tokenFailed' ? `${e.errorCode}/${e.attempts}` : e?.type;
    };
    expect(Object.fromEntries(ids(8).map((id) => [id, outcome(id)]))).toEqual({
      '1': 'tokenSucceeded',
      '2': 'unable_to_retrieve_metadata/2',
      '3': 'invalid_response_status_code/1',
      '4': 'unable_to_decode_response/1',
      '5': 'metadata_too_large/1',
      '6': 'invalid_metadata/1',
      '7': 'invalid_response_status_code/2',
      '8': 'invalid_metadata/1',
    });
    expect([...finals.values()].every((f) => f.length === 1)).toBe(true);
    expect(
      t
        .pushes()
        .flat()
        .map((i) => i.token_id),
    ).toEqual(['1']);
    // 3 s per attempt and one retry, as Immutable X read the Metadata API: token 2 read 2 x 2 times.
    expect(fetched.filter((u) => u === 'https://game.test/metadata/2')).toHaveLength(4);
    expect(
      t.events
        .filter((e) => e.type === 'tokenRetried')
        .map((e) => e.tokenId)
        .sort(),
    ).toEqual(['2', '7']);
  });

  it('verify: succeeds once metadataSyncedAt reaches the push, fails with metadata_not_synced otherwise', async () => {
    const db = gameDatabase();
    const real = api.client();
    // An NFT the platform never updates: its metadataSyncedAt stays in the past.
    const stuck: ZkEvmSchedulerClient = {
      refreshNftMetadata: (p) => real.refreshNftMetadata(p),
      getNft: async (p) => {
        const nft = await real.getNft(p);
        return p.tokenId === '3' ? { ...nft, metadataSyncedAt: '2000-01-01T00:00:00Z' } : nft;
      },
    };
    const t = run(api, { metadata: db.source, client: stuck, verify: { timeoutMs: 20_000 } });
    await t.scheduler.enqueue(CONTRACT, ids(3));
    t.scheduler.start();
    const started = api.clock.now();
    await t.scheduler.drained();
    await t.scheduler.stop();
    const finals = t.finals();
    const ok = finals.get('1')?.[0] as { at?: number; type: string };
    expect(ok.type).toBe('tokenSucceeded');
    expect(finals.get('2')?.[0]?.type).toBe('tokenSucceeded');
    expect(finals.get('3')?.[0]).toMatchObject({
      type: 'tokenFailed',
      errorCode: 'metadata_not_synced',
    });
    const at = t.events.find((e) => e.type === 'tokenFailed')?.at ?? 0;
    expect(at - started).toBeGreaterThanOrEqual(20_000);
  });

  it('verify: an earlier push synced just before this one (within the clock skew) does not confirm it', async () => {
    const db = gameDatabase();
    const real = api.client();
    // The game pushed level 1 itself a moment ago, and the platform applied it.
    const since = new Date(api.clock.now());
    await real.refreshNftMetadata({
      contractAddress: CONTRACT,
      nfts: [{ tokenId: '1', name: 'Hero #1', attributes: [{ traitType: 'Level', value: 1 }] }],
    });
    await real.waitForNftMetadata({ contractAddress: CONTRACT, tokenIds: ['1'], since });
    // The platform accepts the level-up's push but is slow to apply it: the NFT still shows the
    // earlier push, synced less than the 5 s clock skew before this one began.
    const slow: ZkEvmSchedulerClient = {
      getNft: (p) => real.getNft(p),
      refreshNftMetadata: async () => ({ rateLimit: undefined }),
    };
    db.level.set('1', 2);
    const t = run(api, { metadata: db.source, client: slow, verify: { timeoutMs: 20_000 } });
    await t.scheduler.enqueue(CONTRACT, ['1']);
    t.scheduler.start();
    await t.scheduler.drained();
    await t.scheduler.stop();
    const synced = Date.parse(
      (await real.getNft({ contractAddress: CONTRACT, tokenId: '1' })).metadataSyncedAt ?? '',
    );
    const sent = t.events.find((e) => e.type === 'batchSent')?.at ?? 0;
    expect(sent - synced).toBeLessThan(5_000);
    expect(t.finals().get('1')).toEqual([
      expect.objectContaining({ type: 'tokenFailed', errorCode: 'metadata_not_synced' }),
    ]);
  });

  it('reconciles a push whose answer was lost: no second push when the NFTs show it', async () => {
    const db = gameDatabase();
    const real = api.client();
    let lost = 1;
    const lossy: ZkEvmSchedulerClient = {
      getNft: (p) => real.getNft(p),
      async refreshNftMetadata(p) {
        const result = await real.refreshNftMetadata(p);
        if (lost-- > 0) throw new TimeoutError('timed out after 30000 ms');
        return result;
      },
    };
    const t = run(api, { metadata: db.source, client: lossy });
    await t.scheduler.enqueue(CONTRACT, ids(5));
    t.scheduler.start();
    await t.scheduler.drained();
    await t.scheduler.stop();
    expect(t.events.filter((e) => e.type === 'batchUncertain')).toHaveLength(1);
    expect(t.events.find((e) => e.type === 'batchReconciled')).toMatchObject({ accepted: true });
    expect(t.pushes()).toHaveLength(1);
    expect(t.finals().size).toBe(5);
  });

  it('pushes again after reconciliation when the NFTs do not show the push', async () => {
    const db = gameDatabase();
    const real = api.client();
    let lost = 1;
    const dropped: ZkEvmSchedulerClient = {
      getNft: (p) => real.getNft(p),
      async refreshNftMetadata(p) {
        // The request reached a proxy that answered 502 without passing it on.
        if (lost-- > 0) throw new TimeoutError('timed out after 30000 ms');
        return real.refreshNftMetadata(p);
      },
    };
    const t = run(api, { metadata: db.source, client: dropped });
    await t.scheduler.enqueue(CONTRACT, ids(5));
    t.scheduler.start();
    await t.scheduler.drained();
    await t.scheduler.stop();
    expect(t.events.find((e) => e.type === 'batchReconciled')).toMatchObject({ accepted: false });
    expect(t.pushes()).toHaveLength(1);
    expect(t.finals().size).toBe(5);
    // Nothing was resent before the checks were done, and the budget agrees with the engine's.
    const reconciled = t.events.findIndex((e) => e.type === 'batchReconciled');
    expect(t.events.findIndex((e) => e.type === 'batchSent')).toBeGreaterThan(reconciled);
    expect((await t.scheduler.stats()).budget.used).toBe(LIMIT - api.service.budget().remaining);
  });

  it('refuses bad targets with a typed error', () => {
    const zk = api.client() as ZkEvmMetadataClient;
    expect(() => zkEvmTarget({ client: zk, metadata: undefined as never })).toThrow(/metadata/);
    expect(() => metadataApiSource({ baseUrl: 'not a url' })).toThrow(/absolute URL/);
    expect(() => metadataApiSource({ baseUrl: 'https://g.test/m?x=1' })).toThrow(/query/);
    // The window is the store's (or budget.windowMs), never a second one on the target.
    expect(() =>
      zkEvmTarget({ client: zk, metadata: gameDatabase().source, windowMs: 60_000 } as never),
    ).toThrow(/takes no windowMs/);
    const target = zkEvmTarget({ client: zk, metadata: gameDatabase().source });
    expect(() => new RefreshScheduler({ target, maxBatchSize: 251 })).toThrow(/1 to 250/);
    expect(
      () =>
        new RefreshScheduler({
          target,
          store: new MemoryStore({ windowMs: 60_000 }),
          budget: { windowMs: 30_000 },
        }),
    ).toThrow(/budget\.windowMs \(30000\) differs from the store's windowMs \(60000\)/);
    expect(() => new RefreshScheduler({ target, client: {} as never })).toThrow(/not both/);
    expect(() => new RefreshScheduler({} as never)).toThrow(/RefreshScheduler: target is required/);
    expect(
      new MetadataReadError({ errorCode: 'x', statusCode: 500, transient: true }).message,
    ).toMatch(/HTTP 500/);
    void ({} as NftMetadataPush);
  });
});
