import { describe, expect, it } from 'vitest';
import type { Refresh, RefreshError } from '../../src/index.js';
import type { MetadataApiAnswer, MetadataApiServer } from '../../src/server/index.js';
import { COLLECTION } from '../support/fixtures.js';
import { closedPortUrl } from '../support/loopback.js';
import type { Stack } from '../support/metadata-api.js';
import { errorsOf, sequence, slowDrip, useStacks } from '../support/metadata-api.js';

const FETCH_TIMEOUT_MS = 200;
const MIXED_TIMEOUT_MS = 300;
const UNHURRIED_TIMEOUT_MS = 2000;
const UNDER_TIMEOUT_MS = 100;
const OVER_TIMEOUT_MS = 400;
const REFUSING_COLLECTION = `0x${'ab'.repeat(20)}`;

const delayed = (delayMs: number, answer: MetadataApiAnswer) => ({ ...answer, delayMs });
const reset: MetadataApiAnswer = { reset: true };
const drip = slowDrip(40);

interface Env extends Stack {
  refusedUrl: string;
}

const stacks = useStacks();

async function start(
  options: { concurrency?: number; tokenIds?: string[]; fetchTimeoutMs?: number } = {},
): Promise<Env> {
  let refusedUrl = '';
  const stack = await stacks.start({
    server: async (api) => {
      refusedUrl = `${await closedPortUrl()}/metadata`;
      return {
        collections: [
          { address: COLLECTION, metadataApiUrl: api.url, tokenIds: options.tokenIds },
          { address: REFUSING_COLLECTION, metadataApiUrl: refusedUrl },
        ],
        fetchTimeoutMs: options.fetchTimeoutMs ?? UNHURRIED_TIMEOUT_MS,
        concurrency: options.concurrency,
      };
    },
  });
  return { ...stack, refusedUrl };
}

async function refresh(
  { server, client }: Env,
  tokenIds: string[],
  collectionAddress = COLLECTION,
): Promise<{ refreshId: string; result: Refresh; errors: RefreshError[] }> {
  const { refreshId } = await client.requestRefresh({ collectionAddress, tokenIds });
  await server.service.settled();
  return {
    refreshId,
    result: await client.getRefresh(refreshId),
    errors: await errorsOf(client, refreshId),
  };
}

function errorRow(
  tokenId: string,
  errorCode: string,
  statusCode: number | null,
  body: string | null,
  url = `${stacks.current()?.api.url}/${tokenId}`,
  collectionAddress = COLLECTION,
): RefreshError {
  return {
    tokenId,
    collectionAddress,
    clientTokenMetadataUrl: url,
    clientResponseStatusCode: statusCode,
    clientResponseBody: body,
    errorCode,
    createdAt: expect.any(String),
  };
}

const summary = (succeeded: number, failed: number, pending = 0) => ({
  status: 'completed',
  summary: { succeeded, failed, pending },
});

describe('timeouts', () => {
  it('succeeds when the Metadata API answers just under the timeout', async () => {
    const e = await start({ fetchTimeoutMs: FETCH_TIMEOUT_MS });
    e.api.answer('1', delayed(UNDER_TIMEOUT_MS, { json: { name: 'Slow but fine' } }));
    const { result, errors } = await refresh(e, ['1']);
    expect(result).toMatchObject(summary(1, 0));
    expect(errors).toEqual([]);
    expect(e.api.hits('1')).toBe(1);
    expect(e.server.service.getTokenMetadata(COLLECTION, '1')?.metadata).toEqual({
      name: 'Slow but fine',
    });
  });

  it('fails with unable_to_retrieve_metadata after one retry when it answers just over', async () => {
    const e = await start({ fetchTimeoutMs: FETCH_TIMEOUT_MS });
    e.api.answer('1', delayed(OVER_TIMEOUT_MS, { json: { name: 'Too late' } }));
    const { result, errors } = await refresh(e, ['1']);
    expect(result).toMatchObject(summary(0, 1));
    expect(errors).toEqual([errorRow('1', 'unable_to_retrieve_metadata', null, null)]);
    expect(e.api.hits('1')).toBe(2);
    expect(e.server.service.getTokenMetadata(COLLECTION, '1')).toBeUndefined();
  });

  it('treats a body dribbled past the timeout as no answer', async () => {
    const e = await start({ fetchTimeoutMs: FETCH_TIMEOUT_MS });
    e.api.answer('1', drip);
    const { result, errors } = await refresh(e, ['1']);
    expect(result).toMatchObject(summary(0, 1));
    expect(errors).toEqual([errorRow('1', 'unable_to_retrieve_metadata', null, null)]);
    expect(e.api.hits('1')).toBe(2);
  });
});

describe('status codes', () => {
  it('records a 500 with its status and body', async () => {
    const e = await start();
    e.api.answer('1', { status: 500, body: 'internal error' });
    const { result, errors } = await refresh(e, ['1']);
    expect(result).toMatchObject(summary(0, 1));
    expect(errors).toEqual([errorRow('1', 'invalid_response_status_code', 500, 'internal error')]);
    expect(e.api.hits('1')).toBe(2);
  });

  it('records a 404 with its status and body', async () => {
    const e = await start();
    e.api.answer('1', { status: 404, body: '404 page not found\n' });
    const { result, errors } = await refresh(e, ['1']);
    expect(result).toMatchObject(summary(0, 1));
    expect(errors).toEqual([
      errorRow('1', 'invalid_response_status_code', 404, '404 page not found\n'),
    ]);
  });

  it('cuts a body longer than 1000 characters to exactly 1000', async () => {
    const e = await start();
    const long = '0123456789'.repeat(150);
    e.api.answer('1', { status: 503, body: long });
    e.api.answer('2', { status: 503, body: long.slice(0, 1000) });
    const { result, errors } = await refresh(e, ['1', '2']);
    expect(result).toMatchObject(summary(0, 2));
    const sorted = [...errors].sort((a, b) => a.tokenId.localeCompare(b.tokenId));
    expect(sorted).toEqual([
      errorRow('1', 'invalid_response_status_code', 503, long.slice(0, 1000)),
      errorRow('2', 'invalid_response_status_code', 503, long.slice(0, 1000)),
    ]);
    expect(sorted[0]?.clientResponseBody).toHaveLength(1000);
  });
});

describe('decoding', () => {
  it.each([
    ['malformed JSON', '{"name": "Hero'],
    ['a JSON array', '[{"name":"Hero"}]'],
    ['a JSON string', '"Hero"'],
    ['a JSON number', '42'],
    ['JSON null', 'null'],
    ['an empty body', ''],
  ])('fails with unable_to_decode_response on a 200 with %s', async (_name, body) => {
    const e = await start();
    e.api.answer('1', { status: 200, body, contentType: 'application/json' });
    const { result, errors } = await refresh(e, ['1']);
    expect(result).toMatchObject(summary(0, 1));
    expect(errors).toEqual([errorRow('1', 'unable_to_decode_response', 200, body)]);
    expect(e.api.hits('1')).toBe(2);
  });
});

describe('connection failures', () => {
  it('fails with unable_to_retrieve_metadata after one retry when the connection is reset', async () => {
    const e = await start();
    e.api.answer('1', reset);
    const { result, errors } = await refresh(e, ['1']);
    expect(result).toMatchObject(summary(0, 1));
    expect(errors).toEqual([errorRow('1', 'unable_to_retrieve_metadata', null, null)]);
    expect(e.api.hits('1')).toBe(2);
  });

  it('fails with unable_to_retrieve_metadata when the connection is refused', async () => {
    const e = await start();
    const { result, errors } = await refresh(e, ['7'], REFUSING_COLLECTION);
    expect(result).toMatchObject(summary(0, 1));
    expect(errors).toEqual([
      errorRow(
        '7',
        'unable_to_retrieve_metadata',
        null,
        null,
        `${e.refusedUrl}/7`,
        REFUSING_COLLECTION,
      ),
    ]);
  });
});

describe('retries', () => {
  it('succeeds when the retry succeeds, and serves the metadata', async () => {
    const e = await start();
    e.api.answer(
      '1',
      sequence({ status: 500, body: 'flaky' }, { json: { name: 'Second try', level: 2 } }),
    );
    const { result, errors } = await refresh(e, ['1']);
    expect(result).toMatchObject(summary(1, 0));
    expect(errors).toEqual([]);
    expect(e.api.hits('1')).toBe(2);
    expect(e.server.service.getTokenMetadata(COLLECTION, '1')).toEqual({
      metadata: { name: 'Second try', level: 2 },
      updatedAt: expect.any(String),
    });
    const response = await fetch(`${e.url}/v1/assets/${COLLECTION}/1`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      token_address: COLLECTION,
      token_id: '1',
      metadata: { name: 'Second try', level: 2 },
      updated_at: expect.any(String),
    });
  });

  it('lets the last attempt decide the error', async () => {
    const e = await start();
    e.api.answer(
      '1',
      sequence({ status: 200, body: 'not json' }, { status: 502, body: 'bad gateway' }),
    );
    const { result, errors } = await refresh(e, ['1']);
    expect(result).toMatchObject(summary(0, 1));
    expect(errors).toEqual([errorRow('1', 'invalid_response_status_code', 502, 'bad gateway')]);
    expect(e.api.hits('1')).toBe(2);
  });
});

describe('unknown tokens', () => {
  it('fails a token outside the collection with token_not_found and never fetches it', async () => {
    const e = await start({ tokenIds: ['1', '2'] });
    const { result, errors } = await refresh(e, ['1', '3']);
    expect(result).toMatchObject(summary(1, 1));
    expect(errors).toEqual([errorRow('3', 'token_not_found', null, null)]);
    expect(e.api.hits('3')).toBe(0);
    expect(e.api.totalHits).toBe(1);
  });
});

describe('concurrency', () => {
  const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

  it('never has more than `concurrency` requests in flight, and reaches it', async () => {
    const e = await start({ concurrency: 4 });
    const tokenIds = ids('', 20);
    for (const id of tokenIds) e.api.answer(id, delayed(30, { json: { name: id } }));
    const { result } = await refresh(e, tokenIds);
    expect(result).toMatchObject(summary(20, 0));
    expect(e.api.maxOpen).toBe(4);
    expect(e.api.totalHits).toBe(20);
  });

  it('shares the bound across refreshes running at once', async () => {
    const e = await start({ concurrency: 4 });
    const first = ids('a', 10);
    const second = ids('b', 10);
    for (const id of [...first, ...second]) e.api.answer(id, delayed(30, { json: { name: id } }));
    const receipts = await Promise.all([
      e.client.requestRefresh({ collectionAddress: COLLECTION, tokenIds: first }),
      e.client.requestRefresh({ collectionAddress: COLLECTION, tokenIds: second }),
    ]);
    await e.server.service.settled();
    for (const { refreshId } of receipts) {
      expect(await e.client.getRefresh(refreshId)).toMatchObject(summary(10, 0));
    }
    expect(e.api.maxOpen).toBe(4);
    expect(e.api.totalHits).toBe(20);
  });
});

const MIXED_OK = ['ok', 'under', 'flaky'];
const MIXED_FAILING = [
  'over',
  'drip',
  '500',
  '404',
  '503',
  'malformed',
  'array',
  'string',
  'number',
  'reset',
];
const GHOST = 'ghost';
const LONG_BODY = 'x'.repeat(1200);

function behaveMixed(api: MetadataApiServer): void {
  api.answer('ok', { json: { name: 'ok' } });
  api.answer('under', delayed(UNDER_TIMEOUT_MS, { json: { name: 'under' } }));
  api.answer('flaky', sequence({ status: 500, body: 'flaky' }, { json: { name: 'flaky' } }));
  api.answer('over', delayed(OVER_TIMEOUT_MS, { json: { name: 'over' } }));
  api.answer('drip', drip);
  api.answer('500', { status: 500, body: 'internal error' });
  api.answer('404', { status: 404, body: '404 page not found\n' });
  api.answer('503', { status: 503, body: LONG_BODY });
  api.answer('malformed', { status: 200, body: '{"name":', contentType: 'application/json' });
  api.answer('array', { status: 200, body: '[]', contentType: 'application/json' });
  api.answer('string', { status: 200, body: '"name"', contentType: 'application/json' });
  api.answer('number', { status: 200, body: '7', contentType: 'application/json' });
  api.answer('reset', reset);
}

describe('a refresh mixing every fault', () => {
  const known = [...MIXED_OK, ...MIXED_FAILING];
  const tokenIds = [...known, GHOST];

  it('keeps succeeded + failed + pending equal to the token count while it runs', async () => {
    const e = await start({ concurrency: 2, tokenIds: known, fetchTimeoutMs: MIXED_TIMEOUT_MS });
    behaveMixed(e.api);
    const { refreshId } = await e.client.requestRefresh({
      collectionAddress: COLLECTION,
      tokenIds,
    });
    let done = false;
    const settled = e.server.service.settled().then(() => {
      done = true;
    });
    const polls: Refresh[] = [];
    while (!done || polls.length < 3) polls.push(await e.client.getRefresh(refreshId));
    await settled;
    const final = await e.client.getRefresh(refreshId);
    for (const poll of [...polls, final]) {
      const { succeeded, failed, pending } = poll.summary;
      expect(succeeded + failed + pending).toBe(tokenIds.length);
      expect(poll.status).toBe(
        pending === tokenIds.length ? 'queued' : pending === 0 ? 'completed' : 'in_progress',
      );
    }
    for (let i = 1; i < polls.length; i++) {
      expect(polls[i]?.summary.pending).toBeLessThanOrEqual(polls[i - 1]?.summary.pending ?? 0);
    }
    expect(polls.some((p) => p.status === 'in_progress')).toBe(true);
    expect(final).toMatchObject(summary(MIXED_OK.length, MIXED_FAILING.length + 1));
    expect(final.completedAt).toEqual(expect.any(String));
    expect(Date.parse(final.completedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(final.startedAt));
  });

  it('gives the exact counts and error rows', async () => {
    const e = await start({ tokenIds: known, fetchTimeoutMs: MIXED_TIMEOUT_MS });
    behaveMixed(e.api);
    const { result, errors } = await refresh(e, tokenIds);
    expect(result).toMatchObject(summary(3, 11));
    expect(result.completedAt).toEqual(expect.any(String));
    const byToken = [...errors].sort((a, b) => a.tokenId.localeCompare(b.tokenId));
    expect(byToken).toEqual(
      [
        errorRow('404', 'invalid_response_status_code', 404, '404 page not found\n'),
        errorRow('500', 'invalid_response_status_code', 500, 'internal error'),
        errorRow('503', 'invalid_response_status_code', 503, LONG_BODY.slice(0, 1000)),
        errorRow('array', 'unable_to_decode_response', 200, '[]'),
        errorRow('drip', 'unable_to_retrieve_metadata', null, null),
        errorRow(GHOST, 'token_not_found', null, null),
        errorRow('malformed', 'unable_to_decode_response', 200, '{"name":'),
        errorRow('number', 'unable_to_decode_response', 200, '7'),
        errorRow('over', 'unable_to_retrieve_metadata', null, null),
        errorRow('reset', 'unable_to_retrieve_metadata', null, null),
        errorRow('string', 'unable_to_decode_response', 200, '"name"'),
      ].sort((a, b) => a.tokenId.localeCompare(b.tokenId)),
    );
    for (const id of ['ok', 'under']) expect(e.api.hits(id)).toBe(1);
    for (const id of ['flaky', ...MIXED_FAILING]) expect(e.api.hits(id)).toBe(2);
    expect(e.api.hits(GHOST)).toBe(0);
    for (const id of MIXED_OK) {
      expect(e.server.service.getTokenMetadata(COLLECTION, id)?.metadata).toEqual({ name: id });
    }
  });
});
