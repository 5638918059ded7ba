/** ZkEvmMetadataClient against the zkEVM reference engine (through msw), on one injected clock. */
import { HttpResponse, http } from 'msw';
import { describe, expect, it } from 'vitest';
import {
  AbortError,
  InternalServerError,
  InvalidRequestError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  TimeoutError,
  ZkEvmMetadataClient,
} from '../../src/index.js';
import { MAX_ITEM_BYTES, MAX_LIST_BYTES, wireByteLength } from '../../src/wire/zkevm/limits.js';
import { rejection } from '../support/errors.js';
import { server } from '../support/msw.js';
import { CONTRACT, useZkEvm, ZK_API_KEY, ZK_BASE_URL, ZK_CHAIN } from '../support/zkevm-engine.js';

const NFTS_PATH = `/v1/chains/${ZK_CHAIN}/collections/${CONTRACT}/nfts/refresh-metadata`;
const ids = (n: number, from = 1) => Array.from({ length: n }, (_, i) => String(i + from));
const nfts = (n: number, from = 1) =>
  ids(n, from).map((tokenId) => ({ tokenId, name: `#${tokenId}` }));

describe('refreshNftMetadata', () => {
  const api = useZkEvm();
  const posts = () => api.requests.filter((r) => r.method === 'POST');

  it('sends all seven fields in snake_case, omitted ones as null, with the api key', async () => {
    const zk = api.client();
    const result = await zk.refreshNftMetadata({
      contractAddress: CONTRACT,
      nfts: [
        {
          tokenId: '42',
          name: 'Hero',
          image: 'https://img.test/42.png',
          attributes: [{ traitType: 'Level', value: 7, displayType: 'number' }],
        },
      ],
    });
    const [post] = posts();
    expect(post?.path).toBe(NFTS_PATH);
    expect(post?.headers.get('x-immutable-api-key')).toBe(ZK_API_KEY);
    expect(post?.body).toEqual({
      nft_metadata: [
        {
          token_id: '42',
          name: 'Hero',
          description: null,
          image: 'https://img.test/42.png',
          external_url: null,
          animation_url: null,
          youtube_url: null,
          attributes: [{ trait_type: 'Level', value: 7, display_type: 'number' }],
        },
      ],
    });
    expect(result.rateLimit).toEqual({
      limit: 100,
      remaining: 99,
      resetAt: new Date(api.clock.now() + 3_600_000),
      // The engine's default reading: the time left to the window's reset, in whole seconds.
      retryAfterMs: 3_600_000,
    });
    expect(zk.rateLimit).toEqual(result.rateLimit);
  });

  it('a push replaces the metadata: what is omitted the second time is cleared', async () => {
    const zk = api.client();
    const contractAddress = CONTRACT;
    await zk.refreshNftMetadata({
      contractAddress,
      nfts: [{ tokenId: '7', name: 'Sword', image: 'https://img.test/7.png' }],
    });
    await api.service.settled();
    const first = await zk.getNft({ contractAddress, tokenId: '7' });
    expect(first).toMatchObject({ tokenId: '7', name: 'Sword', image: 'https://img.test/7.png' });
    expect(first.metadataSyncedAt).not.toBeNull();
    expect(first.metadataId).toMatch(/^[0-9a-f-]{36}$/);
    await zk.refreshNftMetadata({ contractAddress, nfts: [{ tokenId: '7', name: 'Sword+1' }] });
    await api.service.settled();
    const second = await zk.getNft({ contractAddress, tokenId: '7' });
    expect(second).toMatchObject({ name: 'Sword+1', image: null, attributes: [] });
  });

  describe('refuses bad input before sending anything', () => {
    const cases: [string, unknown, RegExp][] = [
      ['no items', [], /nfts must hold at least 1 item/],
      ['251 items', nfts(251), /nfts holds 251 items; one request takes at most 250/],
      ['a leading zero', [{ tokenId: '01' }], /nfts\[0\]\.tokenId must be a uint256/],
      ['a negative id', [{ tokenId: '1' }, { tokenId: '-1' }], /nfts\[1\]\.tokenId/],
      ['an id over 2^256-1', [{ tokenId: (1n << 256n).toString() }], /at most 2\^256 - 1/],
      ['a number id', [{ tokenId: 5 }], /nfts\[0\]\.tokenId must be a string/],
      [
        'a duplicate',
        [{ tokenId: '3' }, { tokenId: '4' }, { tokenId: '3' }],
        /nfts\[2\]\.tokenId "3" repeats nfts\[0\]/,
      ],
      [
        'a misspelt field',
        [{ tokenId: '1', imageUrl: 'x' }],
        /nfts\[0\] has an unknown field "imageUrl"/,
      ],
      ['a snake_case field', [{ tokenId: '1', external_url: 'x' }], /unknown field "external_url"/],
      [
        'a non-string name',
        [{ tokenId: '1', name: 5 }],
        /nfts\[0\]\.name must be a string, null or omitted/,
      ],
      [
        'attributes not an array',
        [{ tokenId: '1', attributes: {} }],
        /nfts\[0\]\.attributes must be an array/,
      ],
      [
        'a snake_case attribute',
        [{ tokenId: '1', attributes: [{ trait_type: 'a', value: 1 }] }],
        /attributes\[0\] has an unknown field "trait_type"/,
      ],
      [
        'an object value',
        [{ tokenId: '1', attributes: [{ traitType: 'a', value: {} }] }],
        /attributes\[0\]\.value must be a string, a finite number or a boolean/,
      ],
      [
        'a NaN value',
        [{ tokenId: '1', attributes: [{ traitType: 'a', value: Number.NaN }] }],
        /value must be/,
      ],
      [
        'a bad display type',
        [{ tokenId: '1', attributes: [{ traitType: 'a', value: 1, displayType: 'percent' }] }],
        /displayType must be one of number, boost_percentage/,
      ],
      [
        'an item over 16 KiB',
        [{ tokenId: '9', description: 'x'.repeat(MAX_ITEM_BYTES) }],
        /nfts\[0\] \(tokenId 9\) is \d+ bytes as sent; one item may be at most 16384/,
      ],
      [
        'a list over 228 KiB',
        ids(20).map((tokenId) => ({ tokenId, description: 'x'.repeat(12_000) })),
        /nfts is \d+ bytes as sent; one request may carry at most 233472/,
      ],
    ];
    it.each(cases)('%s', async (_name, input, message) => {
      const zk = api.client();
      const error = await rejection(
        zk.refreshNftMetadata({ contractAddress: CONTRACT, nfts: input as never }),
      );
      expect(error).toBeInstanceOf(InvalidRequestError);
      expect(error.message).toMatch(message);
      expect(api.requests).toEqual([]);
    });

    it('a bad contract address or a missing options object', async () => {
      const zk = api.client();
      await expect(
        zk.refreshNftMetadata({ contractAddress: '0x12', nfts: nfts(1) }),
      ).rejects.toThrow(/contractAddress must be 0x followed by 40 hex/);
      await expect(zk.refreshNftMetadata(undefined as never)).rejects.toThrow(InvalidRequestError);
      expect(api.requests).toEqual([]);
    });

    it('counts bytes as sent on the wire (UTF-8, snake_case, nulls included)', async () => {
      const zk = api.client();
      // Multi-byte characters: the item is under 16 KiB in UTF-16 code units but over it in UTF-8.
      const description = 'é'.repeat(MAX_ITEM_BYTES / 2);
      expect(description.length).toBeLessThan(MAX_ITEM_BYTES);
      await expect(
        zk.refreshNftMetadata({ contractAddress: CONTRACT, nfts: [{ tokenId: '1', description }] }),
      ).rejects.toThrow(/one item may be at most 16384/);
    });
  });
});

describe('refreshNftsMetadata', () => {
  const api = useZkEvm();
  const posted = () =>
    api.requests
      .filter((r) => r.method === 'POST')
      .map((r) => (r.body as { nft_metadata: { token_id: string }[] }).nft_metadata);

  it('splits by 250 items, in order', async () => {
    const result = await api
      .client()
      .refreshNftsMetadata({ contractAddress: CONTRACT, nfts: nfts(600) });
    expect(posted().map((list) => list.length)).toEqual([250, 250, 100]);
    expect(
      posted()
        .flat()
        .map((i) => i.token_id),
    ).toEqual(ids(600));
    expect(result.requests.map((r) => r.tokenIds)).toEqual([
      ids(250),
      ids(250, 251),
      ids(100, 501),
    ]);
    expect(result.requests.map((r) => r.rateLimit?.remaining)).toEqual([99, 98, 97]);
    expect(result.rateLimit?.remaining).toBe(97);
  });

  it('splits by bytes, each request within 228 KiB as sent', async () => {
    const big = ids(60).map((tokenId) => ({ tokenId, description: 'd'.repeat(10_000) }));
    const result = await api.client().refreshNftsMetadata({ contractAddress: CONTRACT, nfts: big });
    const lists = posted();
    expect(lists.length).toBeGreaterThan(2);
    for (const list of lists) expect(wireByteLength(list)).toBeLessThanOrEqual(MAX_LIST_BYTES);
    // Greedy: a request is closed only when the next item would not fit.
    expect(wireByteLength([...(lists[0] ?? []), lists[1]?.[0]])).toBeGreaterThan(MAX_LIST_BYTES);
    expect(result.requests.flatMap((r) => r.tokenIds)).toEqual(ids(60));
  });

  it('refuses the whole call when any item could never be sent, or ids repeat across requests', async () => {
    const zk = api.client();
    const input = [...nfts(300), { tokenId: '999', description: 'x'.repeat(MAX_ITEM_BYTES) }];
    await expect(
      zk.refreshNftsMetadata({ contractAddress: CONTRACT, nfts: input }),
    ).rejects.toThrow(/nfts\[300\] \(tokenId 999\) is \d+ bytes/);
    await expect(
      zk.refreshNftsMetadata({ contractAddress: CONTRACT, nfts: [...nfts(300), { tokenId: '1' }] }),
    ).rejects.toThrow(/nfts\[300\]\.tokenId "1" repeats nfts\[0\]/);
    expect(api.requests).toEqual([]);
  });

  it('a 429 part-way: RateLimitError with accepted, notSent and the platform fields', async () => {
    let responses = 0;
    // The budget is spent elsewhere (another server of the project) after the second request.
    const zk = api.client({
      onResponse: () => {
        if (++responses === 2) api.service.setRemainingRefreshes(0);
      },
    });
    const error = await rejection(
      zk.refreshNftsMetadata({ contractAddress: CONTRACT, nfts: nfts(1000) }),
    );
    expect(error).toBeInstanceOf(RateLimitError);
    const e = error as RateLimitError;
    expect(e.status).toBe(429);
    expect(e.code).toBe('TOO_MANY_REQUESTS_ERROR');
    expect(e.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(e.progress?.operation).toBe('refreshNftsMetadata');
    expect(e.progress?.accepted.map((a) => a.tokenIds)).toEqual([ids(250), ids(250, 251)]);
    expect(e.progress?.notSent).toEqual(ids(500, 501));
    expect(e.progress?.uncertain).toEqual([]);
    expect(e.rateLimit).toMatchObject({ limit: 100, remaining: 0 });
    expect(e.retryAfterMs).toBeGreaterThan(0);
    expect(zk.rateLimit?.remaining).toBe(0);
    // Three requests reached the engine (the third got the 429); the fourth was never sent.
    expect(posted()).toHaveLength(3);
  });

  it('a known-empty budget stops before sending, until the reset', async () => {
    api.service.setRemainingRefreshes(1);
    const zk = api.client();
    const error = await rejection(
      zk.refreshNftsMetadata({ contractAddress: CONTRACT, nfts: nfts(400) }),
    );
    expect(error).toBeInstanceOf(RateLimitError);
    expect((error as RateLimitError).progress?.accepted.map((a) => a.tokenIds)).toEqual([ids(250)]);
    expect((error as RateLimitError).progress?.notSent).toEqual(ids(150, 251));
    expect(posted()).toHaveLength(1);
    const again = await rejection(
      zk.refreshNftsMetadata({ contractAddress: CONTRACT, nfts: nfts(3) }),
    );
    expect((again as RateLimitError).progress?.notSent).toEqual(ids(3));
    expect(posted()).toHaveLength(1);
    // After the reset the client tries again.
    api.clock.set((zk.rateLimit?.resetAt.getTime() ?? 0) + 1);
    await expect(
      zk.refreshNftsMetadata({ contractAddress: CONTRACT, nfts: nfts(3) }),
    ).resolves.toMatchObject({
      requests: [{ tokenIds: ids(3) }],
    });
  });

  it('aborted between requests: AbortError with what was pushed and what was not', async () => {
    const controller = new AbortController();
    const zk = api.client({ onResponse: () => controller.abort(new Error('shutdown')) });
    const error = await rejection(
      zk.refreshNftsMetadata({
        contractAddress: CONTRACT,
        nfts: nfts(600),
        signal: controller.signal,
      }),
    );
    expect(error).toBeInstanceOf(AbortError);
    expect((error as AbortError).progress?.accepted.map((a) => a.tokenIds)).toEqual([ids(250)]);
    expect((error as AbortError).progress?.notSent).toEqual(ids(350, 251));
    expect(posted()).toHaveLength(1);
  });

  it('a 5xx part-way marks that request uncertain and the rest not sent', async () => {
    let calls = 0;
    server.use(
      http.post(`${ZK_BASE_URL}${NFTS_PATH}`, () => {
        calls += 1;
        // The first request goes through to the engine; every later one fails.
        if (calls === 1) return undefined;
        return HttpResponse.json(
          { message: 'boom', link: '', trace_id: 't5', code: 'INTERNAL_SERVER_ERROR' },
          { status: 500 },
        );
      }),
    );
    const zk = api.client({ maxRetries: 0 });
    const error = await rejection(
      zk.refreshNftsMetadata({ contractAddress: CONTRACT, nfts: nfts(600) }),
    );
    expect(error).toBeInstanceOf(InternalServerError);
    const e = error as InternalServerError;
    expect(e.progress?.accepted.map((a) => a.tokenIds)).toEqual([ids(250)]);
    expect(e.progress?.uncertain).toEqual(ids(250, 251));
    expect(e.progress?.notSent).toEqual(ids(100, 501));
  });
});

describe('push retries', () => {
  const api = useZkEvm();
  const failing = (status: number, times: number) => {
    let left = times;
    server.use(
      http.post(`${ZK_BASE_URL}${NFTS_PATH}`, () => {
        if (left-- <= 0) return undefined;
        return HttpResponse.json(
          { message: 'no', link: 'https://docs.test', trace_id: `t${status}`, code: 'X' },
          { status },
        );
      }),
    );
  };
  const push = (zk: ZkEvmMetadataClient) =>
    zk.refreshNftMetadata({ contractAddress: CONTRACT, nfts: nfts(1) });

  it('retries a 5xx once, then succeeds', async () => {
    failing(503, 1);
    await expect(push(api.client({ maxRetries: 5 }))).resolves.toMatchObject({
      rateLimit: { remaining: 99 },
    });
    expect(api.requests).toHaveLength(1);
    expect(api.clock.sleeps).toHaveLength(1);
  });

  it('never more than once after a 5xx, whatever maxRetries says', async () => {
    failing(500, 5);
    const error = await rejection(push(api.client({ maxRetries: 5 })));
    expect(error).toBeInstanceOf(InternalServerError);
    expect(api.clock.sleeps).toHaveLength(1);
    expect(api.requests).toHaveLength(0);
  });

  it('never after a 4xx', async () => {
    failing(400, 1);
    await expect(push(api.client({ maxRetries: 5 }))).rejects.toMatchObject({ status: 400 });
    expect(api.clock.sleeps).toEqual([]);
  });

  it('not at all with maxRetries 0', async () => {
    failing(500, 1);
    await expect(push(api.client({ maxRetries: 0 }))).rejects.toBeInstanceOf(InternalServerError);
    expect(api.clock.sleeps).toEqual([]);
  });

  it('GETs retry 5xx up to maxRetries', async () => {
    let calls = 0;
    server.use(
      http.get(`${ZK_BASE_URL}/v1/chains/${ZK_CHAIN}/collections/${CONTRACT}/nfts/1`, () => {
        calls += 1;
        return calls <= 2
          ? HttpResponse.json({ message: 'x', code: 'INTERNAL_SERVER_ERROR' }, { status: 502 })
          : undefined;
      }),
    );
    await expect(
      api.client({ maxRetries: 2 }).getNft({ contractAddress: CONTRACT, tokenId: '1' }),
    ).resolves.toMatchObject({ tokenId: '1' });
    expect(calls).toBe(3);
  });
});

describe('refreshStackedMetadata', () => {
  const api = useZkEvm();

  it('rewrites every NFT of a stack', async () => {
    api.service.mint(CONTRACT, [
      { tokenId: '1', name: 'Potion', image: 'p.png' },
      { tokenId: '2', name: 'Potion', image: 'p.png' },
      { tokenId: '3', name: 'Elixir' },
    ]);
    const zk = api.client();
    const { metadataId } = await zk.getNft({ contractAddress: CONTRACT, tokenId: '1' });
    expect(metadataId).not.toBeNull();
    const result = await zk.refreshStackedMetadata({
      contractAddress: CONTRACT,
      metadata: [{ metadataId: metadataId as string, name: 'Greater Potion' }],
    });
    expect(result.rateLimit?.remaining).toBe(99);
    const post = api.requests.find((r) => r.method === 'POST');
    expect(post?.path).toBe(
      `/v1/chains/${ZK_CHAIN}/collections/${CONTRACT}/metadata/refresh-metadata`,
    );
    expect((post?.body as { metadata: unknown[] } | undefined)?.metadata[0]).toEqual({
      metadata_id: metadataId,
      name: 'Greater Potion',
      description: null,
      image: null,
      external_url: null,
      animation_url: null,
      youtube_url: null,
      attributes: null,
    });
    await api.service.settled();
    for (const tokenId of ['1', '2']) {
      expect(await zk.getNft({ contractAddress: CONTRACT, tokenId })).toMatchObject({
        name: 'Greater Potion',
        image: null,
      });
    }
    expect(await zk.getNft({ contractAddress: CONTRACT, tokenId: '3' })).toMatchObject({
      name: 'Elixir',
    });
  });

  it('refuses 11 stacks, a non-UUID id, a duplicate in another case', async () => {
    const zk = api.client();
    const uuid = (n: number) => `7f1d9c36-6a1c-4f40-9d0e-${String(n).padStart(12, '0')}`;
    const many = Array.from({ length: 11 }, (_, i) => ({ metadataId: uuid(i) }));
    await expect(
      zk.refreshStackedMetadata({ contractAddress: CONTRACT, metadata: many }),
    ).rejects.toThrow(/metadata holds 11 items; one request takes at most 10/);
    await expect(
      zk.refreshStackedMetadata({
        contractAddress: CONTRACT,
        metadata: [{ metadataId: 'stack-1' }],
      }),
    ).rejects.toThrow(/metadata\[0\]\.metadataId must be a UUID/);
    const id = 'ABCDEF00-6a1c-4f40-9d0e-000000000001';
    await expect(
      zk.refreshStackedMetadata({
        contractAddress: CONTRACT,
        metadata: [{ metadataId: id }, { metadataId: id.toLowerCase() }],
      }),
    ).rejects.toThrow(/metadata\[1\]\.metadataId .* repeats metadata\[0\]/);
    expect(api.requests).toEqual([]);
  });
});

describe('getNft, listNfts, iterateNfts', () => {
  const api = useZkEvm({ collections: [{ address: CONTRACT, tokenIds: ids(250) }] });

  it('getNft maps to camelCase; an unknown token is NotFoundError with the trace id', async () => {
    const zk = api.client();
    const nft = await zk.getNft({ contractAddress: CONTRACT, tokenId: '5' });
    expect(nft).toMatchObject({
      tokenId: '5',
      contractAddress: CONTRACT,
      chain: { name: ZK_CHAIN },
    });
    expect(nft).toHaveProperty('metadataSyncedAt');
    const error = await rejection(zk.getNft({ contractAddress: CONTRACT, tokenId: '9999' }));
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toMatchObject({
      code: 'RESOURCE_NOT_FOUND',
      traceId: expect.stringMatching(/^[0-9a-f]{32}$/),
    });
    await expect(zk.getNft({ contractAddress: CONTRACT, tokenId: '1.5' })).rejects.toBeInstanceOf(
      InvalidRequestError,
    );
  });

  it('iterateNfts follows next_cursor over every page', async () => {
    const zk = api.client();
    const seen: string[] = [];
    for await (const nft of zk.iterateNfts({ contractAddress: CONTRACT, pageSize: 100 }))
      seen.push(nft.tokenId);
    expect(seen).toEqual(ids(250));
    const gets = api.requests.filter((r) => r.method === 'GET');
    expect(gets.map((r) => r.query.get('page_size'))).toEqual(['100', '100', '100']);
    expect(gets[0]?.query.has('page_cursor')).toBe(false);
    expect(gets[1]?.query.get('page_cursor')).toBeTruthy();
  });

  it('listNfts pages both ways and filters by fromUpdatedAt', async () => {
    const zk = api.client();
    const first = await zk.listNfts({ contractAddress: CONTRACT, pageSize: 200 });
    expect(first.result).toHaveLength(200);
    expect(first.previousCursor).toBeNull();
    const second = await zk.listNfts({
      contractAddress: CONTRACT,
      cursor: first.nextCursor as string,
    });
    expect(second.result.map((n) => n.tokenId)).toEqual(ids(50, 201));
    expect(second.nextCursor).toBeNull();
    api.clock.set(api.clock.now() + 60_000);
    const since = new Date(api.clock.now());
    await zk.refreshNftMetadata({
      contractAddress: CONTRACT,
      nfts: [{ tokenId: '17', name: 'new' }],
    });
    await api.service.settled();
    const changed = await zk.listNfts({ contractAddress: CONTRACT, fromUpdatedAt: since });
    expect(changed.result.map((n) => n.tokenId)).toEqual(['17']);
    expect(api.requests.at(-1)?.query.get('from_updated_at')).toBe(since.toISOString());
    await expect(zk.listNfts({ contractAddress: CONTRACT, pageSize: 201 })).rejects.toThrow(
      /from 1 to 200/,
    );
    await expect(
      zk.listNfts({ contractAddress: CONTRACT, fromUpdatedAt: 'yesterday' }),
    ).rejects.toThrow(/fromUpdatedAt must be/);
  });
});

describe('waitForNftMetadata', () => {
  const api = useZkEvm({ syncDelayMs: 5_000 });

  it('polls until every metadataSyncedAt >= since, with backoff on the injected clock', async () => {
    const zk = api.client();
    const since = new Date(api.clock.now());
    await zk.refreshNftMetadata({ contractAddress: CONTRACT, nfts: nfts(6) });
    const synced = await zk.waitForNftMetadata({
      contractAddress: CONTRACT,
      tokenIds: ids(6),
      since,
      pollIntervalMs: 1_000,
      concurrency: 2,
    });
    expect(synced.map((n) => n.tokenId)).toEqual(ids(6));
    for (const nft of synced)
      expect(Date.parse(nft.metadataSyncedAt as string)).toBeGreaterThanOrEqual(since.getTime());
    // 1 s, then growing by half while nothing changes: 1000, 1500, 2250 (= 4750), then 3375.
    expect(api.clock.sleeps).toEqual([1_000, 1_500, 2_250, 3_375]);
  });

  it('TimeoutError names the NFTs still waiting; abort is AbortError', async () => {
    const zk = api.client();
    const since = new Date(api.clock.now());
    await zk.refreshNftMetadata({ contractAddress: CONTRACT, nfts: nfts(2) });
    const error = await rejection(
      zk.waitForNftMetadata({
        contractAddress: CONTRACT,
        tokenIds: ['1', '2'],
        since,
        timeoutMs: 2_000,
        pollIntervalMs: 500,
      }),
    );
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error.message).toMatch(/2 of 2 NFTs .* within 2000 ms \(still waiting: 1, 2\)/);
    const controller = new AbortController();
    controller.abort(new Error('shutdown'));
    await expect(
      zk.waitForNftMetadata({
        contractAddress: CONTRACT,
        tokenIds: ['1'],
        since,
        signal: controller.signal,
      }),
    ).rejects.toBeInstanceOf(AbortError);
  });

  it('refuses bad input', async () => {
    const zk = api.client();
    const since = new Date();
    await expect(
      zk.waitForNftMetadata({ contractAddress: CONTRACT, tokenIds: [], since }),
    ).rejects.toThrow(/non-empty/);
    await expect(
      zk.waitForNftMetadata({ contractAddress: CONTRACT, tokenIds: ['1', '1'], since }),
    ).rejects.toThrow(/appears twice/);
    await expect(
      zk.waitForNftMetadata({ contractAddress: CONTRACT, tokenIds: ['1'], since: 'soon' }),
    ).rejects.toThrow(/since must be/);
    await expect(
      zk.waitForNftMetadata({ contractAddress: CONTRACT, tokenIds: ['1'], since, concurrency: 0 }),
    ).rejects.toThrow(/concurrency/);
  });
});

describe('auth and options', () => {
  const api = useZkEvm();

  it('a key the engine does not accept is PermissionDeniedError AUTHENTICATION_ERROR', async () => {
    const zk = api.client({ apiKey: 'sk_imapik-someone-else' });
    const error = await rejection(
      zk.refreshNftMetadata({ contractAddress: CONTRACT, nfts: nfts(1) }),
    );
    expect(error).toBeInstanceOf(PermissionDeniedError);
    expect(error).toMatchObject({
      status: 403,
      code: 'AUTHENTICATION_ERROR',
      link: expect.stringMatching(/^https:/),
    });
    expect(JSON.stringify(error)).not.toContain('someone-else');
  });

  it('environments, and refusals that never echo the key', () => {
    const production = new ZkEvmMetadataClient({ apiKey: ZK_API_KEY, environment: 'production' });
    expect(production).toMatchObject({
      baseURL: 'https://api.immutable.com',
      chainName: 'imtbl-zkevm-mainnet',
    });
    const sandbox = new ZkEvmMetadataClient({ apiKey: ZK_API_KEY, environment: 'sandbox' });
    expect(sandbox).toMatchObject({
      baseURL: 'https://api.sandbox.immutable.com',
      chainName: 'imtbl-zkevm-testnet',
    });
    expect(production.rateLimit).toBeUndefined();
    const make = (options: object) => () =>
      new ZkEvmMetadataClient({ apiKey: ZK_API_KEY, ...options } as never);
    expect(make({})).toThrow(/Give environment/);
    expect(make({ environment: 'sandbox', baseURL: ZK_BASE_URL })).toThrow(/not both/);
    expect(make({ baseURL: ZK_BASE_URL })).toThrow(/chainName is required/);
    expect(make({ environment: 'toString' })).toThrow(/production' or 'sandbox/);
    expect(make({ baseURL: 'ftp://x', chainName: ZK_CHAIN })).toThrow(/http or https/);
    expect(make({ environment: 'sandbox', maxRetries: -1 })).toThrow(/maxRetries/);
    const badKey = 'sk_imapik-with a space';
    expect(() => new ZkEvmMetadataClient({ apiKey: badKey, environment: 'sandbox' })).toThrow(
      /apiKey must be/,
    );
    try {
      new ZkEvmMetadataClient({ apiKey: badKey, environment: 'sandbox' });
    } catch (error) {
      expect(String((error as Error).message)).not.toContain('with a space');
    }
    expect(() => new ZkEvmMetadataClient({ environment: 'sandbox' } as never)).toThrow(/apiKey/);
  });
});
