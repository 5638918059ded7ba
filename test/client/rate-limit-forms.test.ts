/**
 * Every form of a wait and every hostile rate-limit value, through the public API of both
 * clients: what `RateLimitError.retryAfterMs` and `rateLimit` say on a 429, and what the zkEVM
 * `rateLimit.retryAfterMs` says on a 202. The same table as the unit tests of
 * src/wire/rate-limit-forms.ts, so the two APIs cannot read a value differently. On a test clock
 * at the table's `now`; no request is retried (`maxRetries: 0`).
 */
import { HttpResponse, http } from 'msw';
import { describe, expect, it } from 'vitest';
import {
  MAX_RESET_AHEAD_MS,
  MAX_RETRY_AFTER_MS,
  MetadataRefreshClient,
  RateLimitError,
  ZkEvmMetadataClient,
} from '../../src/index.js';
import { formatGoTime } from '../../src/wire/zkevm/rate-limit.js';
import { rejection } from '../support/errors.js';
import { BASE_URL, COLLECTION, createTestClock, PRIVATE_KEY } from '../support/fixtures.js';
import { server } from '../support/msw.js';
import { CONTRACT, ZK_API_KEY, ZK_BASE_URL, ZK_CHAIN } from '../support/zkevm-engine.js';
import {
  CAPPED_RETRY_AFTER,
  RETRY_AFTER_NOW as NOW,
  RETRY_AFTER_FORMS,
  UNSAID_RETRY_AFTER,
} from '../wire/rate-limit-forms.table.js';

const IMX_POST_URL = `${BASE_URL}/v1/metadata-refreshes`;
const ZK_PUSH_URL = `${ZK_BASE_URL}/v1/chains/${ZK_CHAIN}/collections/${CONTRACT}/nfts/refresh-metadata`;
const RESET_MS = NOW + 30 * 60_000;

// What a header value can carry: `Headers` and Node refuse the rest before anything is sent.
const sendable = (value: string) => /^[ -~\u0080-\u00ff\t]*$/.test(value);
const unsaidHeaders = UNSAID_RETRY_AFTER.filter(sendable);

/** `[name, value]` rows of values, named by their JSON. */
const rows = (values: string[]): [string, string][] => values.map((v) => [JSON.stringify(v), v]);
/** Every value of the table as `[name, value, what retryAfterMs must be]`. */
const everyWait: [string, string, number | undefined][] = [
  ...RETRY_AFTER_FORMS.map(([v, ms]): [string, string, number] => [JSON.stringify(v), v, ms]),
  ...CAPPED_RETRY_AFTER.map(([name, v]): [string, string, number] => [name, v, MAX_RETRY_AFTER_MS]),
  ...rows(unsaidHeaders).map(([name, v]): [string, string, undefined] => [name, v, undefined]),
];

/** The hostile counts: none is a budget. */
const HOSTILE_COUNTS: [string, string][] = [
  ['400 digits', '9'.repeat(400)],
  ['2^53, no longer exact', String(2 ** 53)],
  ['twenty nines', '9'.repeat(20)],
  ['negative', '-1'],
  ['signed', '+5'],
  ['an exponent', '1e3'],
  ['hexadecimal', '0x10'],
  ['fractional', '10.5'],
  ['empty', ''],
];

function imxClient() {
  return new MetadataRefreshClient({
    signer: PRIVATE_KEY,
    baseURL: BASE_URL,
    clock: createTestClock(NOW),
    maxRetries: 0,
  });
}

function zkClient() {
  return new ZkEvmMetadataClient({
    apiKey: ZK_API_KEY,
    baseURL: ZK_BASE_URL,
    chainName: ZK_CHAIN,
    clock: createTestClock(NOW),
    maxRetries: 0,
  });
}

const IMX_BUDGET = {
  'x-imx-refreshes-limit': '10',
  'x-imx-remaining-refreshes': '0',
  'x-imx-refresh-limit-reset': String(RESET_MS / 1000),
};
const ZK_BUDGET = {
  'imx-refreshes-limit': '677',
  'imx-remaining-refreshes': '0',
  'imx-refresh-limit-reset': formatGoTime(RESET_MS),
};

/** The Immutable X refresh POST, answered 429 with `headers`. */
async function imx429(headers: Record<string, string>) {
  server.use(
    http.post(IMX_POST_URL, () =>
      HttpResponse.json(
        { code: 'too_many_requests', message: 'slow down' },
        { status: 429, headers },
      ),
    ),
  );
  const client = imxClient();
  const error = await rejection(
    client.requestRefresh({ collectionAddress: COLLECTION, tokenIds: ['1'] }),
  );
  expect(error).toBeInstanceOf(RateLimitError);
  return { error: error as RateLimitError, client };
}

/** The zkEVM push, answered `status` with `headers` and `body`. */
function zkAnswer(status: number, headers: Record<string, string>, body: unknown) {
  server.use(http.post(ZK_PUSH_URL, () => HttpResponse.json(body as never, { status, headers })));
}

const zkPush = (zk: ZkEvmMetadataClient) =>
  zk.refreshNftMetadata({ contractAddress: CONTRACT, nfts: [{ tokenId: '1', name: 'a' }] });

/** The zkEVM push, answered 429 with `headers`. */
async function zk429(headers: Record<string, string>) {
  zkAnswer(429, headers, {
    message: 'Too many metadata refreshes',
    link: 'https://docs.immutable.com/zkevm/api/reference/',
    trace_id: 'trace-429',
    code: 'TOO_MANY_REQUESTS_ERROR',
    details: null,
  });
  const client = zkClient();
  const error = await rejection(zkPush(client));
  expect(error).toBeInstanceOf(RateLimitError);
  return { error: error as RateLimitError, client };
}

describe('a 429 with only Retry-After: RateLimitError.retryAfterMs is what the table says', () => {
  it.each(everyWait)('Immutable X, %s', async (_name, value, ms) => {
    const { error } = await imx429({ 'retry-after': value });
    expect(error.retryAfterMs).toBe(ms);
    expect(error.rateLimit).toBeUndefined();
  });

  it.each(everyWait)('zkEVM, %s', async (_name, value, ms) => {
    const { error } = await zk429({ 'retry-after': value });
    expect(error.retryAfterMs).toBe(ms);
    expect(error.rateLimit).toBeUndefined();
  });
});

describe("a proxy's retry-after-ms comes first, and junk in it is passed over", () => {
  const proxied: [string, Record<string, string>, number | undefined][] = [
    ['1500 ms over 9 s', { 'retry-after-ms': '1500', 'retry-after': '9' }, 1_500],
    ['fractional ms, rounded up', { 'retry-after-ms': '2.5' }, 3],
    ['negative, then 2 s', { 'retry-after-ms': '-5', 'retry-after': '2' }, 2_000],
    ['negative alone', { 'retry-after-ms': '-5' }, undefined],
    ['400 digits', { 'retry-after-ms': '9'.repeat(400) }, MAX_RETRY_AFTER_MS],
  ];

  it.each(proxied)('Immutable X, %s', async (_name, headers, ms) => {
    expect((await imx429(headers)).error.retryAfterMs).toBe(ms);
  });

  it.each(proxied)('zkEVM, %s', async (_name, headers, ms) => {
    expect((await zk429(headers)).error.retryAfterMs).toBe(ms);
  });
});

describe('a 429 whose Retry-After says nothing waits until the reset, never 0', () => {
  it.each(rows(['-5', '-0', 'Infinity', 'NaN', '']))('Immutable X, %s', async (_name, value) => {
    const { error, client } = await imx429({ ...IMX_BUDGET, 'retry-after': value });
    expect(error.retryAfterMs).toBe(RESET_MS - NOW);
    expect(error.rateLimit).toEqual({ limit: 10, remaining: 0, resetAt: new Date(RESET_MS) });
    expect(client.rateLimit?.remaining).toBe(0);
  });

  it.each(rows(['-5', '-0', 'Infinity', 'NaN', '']))('zkEVM, %s', async (_name, value) => {
    const { error, client } = await zk429({ ...ZK_BUDGET, 'retry-after': value });
    expect(error.retryAfterMs).toBe(RESET_MS - NOW);
    expect(error.rateLimit).toEqual({
      limit: 677,
      remaining: 0,
      resetAt: new Date(RESET_MS),
      retryAfterMs: undefined,
    });
    expect(client.rateLimit?.remaining).toBe(0);
  });
});

describe('a count that is not a non-negative safe integer is no budget at all', () => {
  it.each(HOSTILE_COUNTS)('Immutable X, limit %s', async (_name, count) => {
    const { error, client } = await imx429({ ...IMX_BUDGET, 'x-imx-refreshes-limit': count });
    expect(error.rateLimit).toBeUndefined();
    expect(client.rateLimit).toBeUndefined();
  });

  it.each(HOSTILE_COUNTS)('Immutable X, remaining %s', async (_name, count) => {
    const { error, client } = await imx429({ ...IMX_BUDGET, 'x-imx-remaining-refreshes': count });
    expect(error.rateLimit).toBeUndefined();
    expect(client.rateLimit).toBeUndefined();
  });

  it.each(HOSTILE_COUNTS)('zkEVM, limit %s', async (_name, count) => {
    const { error, client } = await zk429({ ...ZK_BUDGET, 'imx-refreshes-limit': count });
    expect(error.rateLimit).toBeUndefined();
    expect(client.rateLimit).toBeUndefined();
  });

  it.each(HOSTILE_COUNTS)('zkEVM, remaining %s', async (_name, count) => {
    const { error, client } = await zk429({ ...ZK_BUDGET, 'imx-remaining-refreshes': count });
    expect(error.rateLimit).toBeUndefined();
    expect(client.rateLimit).toBeUndefined();
  });

  it('zkEVM, a hostile count in a 202 body copy too', async () => {
    zkAnswer(
      202,
      {},
      {
        imx_refreshes_limit: '9'.repeat(400),
        imx_remaining_refreshes: '1',
        imx_refresh_limit_reset: formatGoTime(RESET_MS),
        retry_after: '0.00-seconds',
      },
    );
    const zk = zkClient();
    expect(await zkPush(zk)).toEqual({ rateLimit: undefined });
    expect(zk.rateLimit).toBeUndefined();
  });
});

describe('a reset too far ahead is not believed, on both APIs', () => {
  const tooFar = NOW + MAX_RESET_AHEAD_MS + 1_000;

  it('Immutable X', async () => {
    const reset = String(tooFar / 1000);
    const { error } = await imx429({ ...IMX_BUDGET, 'x-imx-refresh-limit-reset': reset });
    expect(error.rateLimit).toBeUndefined();
  });

  it.each([
    ['just past the margin', formatGoTime(tooFar)],
    ['year 9999', '9999-12-31 23:59:59 +0000 UTC'],
  ])('zkEVM headers, %s', async (_name, reset) => {
    const { error } = await zk429({ ...ZK_BUDGET, 'imx-refresh-limit-reset': reset });
    expect(error.rateLimit).toBeUndefined();
  });
});

describe('the zkEVM rateLimit.retryAfterMs of a 202', () => {
  const accepted = (retryAfter: string) => ({
    imx_refreshes_limit: '677',
    imx_remaining_refreshes: '675',
    imx_refresh_limit_reset: formatGoTime(RESET_MS),
    retry_after: retryAfter,
  });

  it.each(everyWait)('the retry-after header, %s', async (_name, value, ms) => {
    zkAnswer(202, { ...ZK_BUDGET, 'imx-remaining-refreshes': '675', 'retry-after': value }, {});
    const { rateLimit } = await zkPush(zkClient());
    expect(rateLimit).toEqual({
      limit: 677,
      remaining: 675,
      resetAt: new Date(RESET_MS),
      retryAfterMs: ms,
    });
  });

  const bodyWaits: [string, string, number | undefined][] = [
    ...everyWait,
    ...rows(UNSAID_RETRY_AFTER.filter((v) => !sendable(v))).map(
      ([name, v]): [string, string, undefined] => [name, v, undefined],
    ),
  ];
  it.each(bodyWaits)('the body copy, %s', async (_name, value, ms) => {
    zkAnswer(202, {}, accepted(value));
    const zk = zkClient();
    const { rateLimit } = await zkPush(zk);
    expect(rateLimit).toEqual({
      limit: 677,
      remaining: 675,
      resetAt: new Date(RESET_MS),
      retryAfterMs: ms,
    });
    expect(zk.rateLimit).toEqual(rateLimit);
  });
});
