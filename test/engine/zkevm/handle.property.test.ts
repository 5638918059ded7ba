/**
 * Generated requests against the zkEVM engine, under either reading of `retry-after`: never a
 * 5xx, every error in the platform's shape, every answer as the OpenAPI file says, a refused
 * request never costs budget or queues a push, and `budget()` says truthfully whether a push
 * would be accepted and what `retry-after` an answer carries. Time is fixed (a manual clock
 * nobody advances), so runs are deterministic.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ServiceRequest } from '../../../src/engine/types.js';
import { createZkEvmService } from '../../../src/engine/zkevm/service.js';
import type {
  ZkEvmBudgetSnapshot,
  ZkEvmRetryAfterReading,
  ZkEvmService,
} from '../../../src/engine/zkevm/types.js';
import { MAX_ITEM_BYTES, MAX_UINT256 } from '../../../src/wire/zkevm/limits.js';
import {
  CHAIN,
  COLLECTION,
  EMPTY_FIELDS,
  KEY,
  manualClock,
  OTHER_COLLECTION,
  START,
  sequentialIds,
} from './harness.js';
import { openApiProblems } from './openapi.js';

const TIMEOUT_MS = 60_000;
const RUNS = { refreshBodies: 1_500, paths: 1_500, reads: 1_000 };
const STACK = '00000000-0000-4000-8000-000000000001';

type Target = 'open' | 'strict';
const READINGS: ZkEvmRetryAfterReading[] = ['window', 'pacing'];

/** Under `pacing`, with time fixed, each service accepts one push and refuses the rest. */
function createServices(retryAfter: ZkEvmRetryAfterReading): Record<Target, ZkEvmService> {
  const open = createZkEvmService({
    apiKey: KEY,
    clock: manualClock(),
    generateId: sequentialIds(),
    limits: { refreshesPerHour: 1_000_000, retryAfter },
  });
  const strict = createZkEvmService({
    apiKey: (key) => key === KEY,
    clock: manualClock(),
    generateId: sequentialIds(),
    collections: [{ address: COLLECTION, tokenIds: ['0', '1', '2', '3', MAX_UINT256.toString()] }],
    limits: { refreshesPerHour: 5, retryAfter },
    duplicates: 'reject',
    nullFields: 'keep',
  });
  for (const service of [open, strict]) {
    service.mint(COLLECTION, [
      { tokenId: '1', name: 'Potion' },
      { tokenId: '2', name: 'Potion' },
    ]);
  }
  return { open, strict };
}

const ERROR_KEYS = ['code', 'details', 'link', 'message', 'trace_id'];

function isErrorShape(body: unknown): boolean {
  if (typeof body !== 'object' || body === null) return false;
  const record = body as Record<string, unknown>;
  return (
    Object.keys(record).sort().join() === ERROR_KEYS.join() &&
    ['code', 'link', 'message', 'trace_id'].every((k) => typeof record[k] === 'string') &&
    (record.details === null ||
      (typeof record.details === 'object' && !Array.isArray(record.details)))
  );
}

/** What is wrong with the budget an answer on the budget (a 202 or a 429) reports. */
function budgetProblems(
  reading: ZkEvmRetryAfterReading,
  status: number,
  headers: Record<string, string>,
  before: ZkEvmBudgetSnapshot,
  after: ZkEvmBudgetSnapshot,
): string[] {
  const problems: string[] = [];
  if (status === 202 && before.waitMs !== 0) problems.push(`202 though waitMs ${before.waitMs}`);
  if (status === 429 && before.waitMs === 0) problems.push('429 though a push was acceptable');
  const expected =
    reading === 'window' || after.remaining === 0 ? after.resetAtMs - START : after.waitMs;
  if (after.retryAfterMs !== expected) problems.push(`retryAfterMs ${after.retryAfterMs}`);
  if (headers['retry-after'] !== String(Math.ceil(after.retryAfterMs / 1000)))
    problems.push(`retry-after ${headers['retry-after']} for ${after.retryAfterMs} ms`);
  return problems;
}

async function check(
  services: Record<ZkEvmRetryAfterReading, Record<Target, ZkEvmService>>,
  reading: ZkEvmRetryAfterReading,
  target: Target,
  request: ServiceRequest,
) {
  const service = services[reading][target];
  const budget = service.budget();
  const before = { remaining: budget.remaining, pending: service.pendingPushes() };
  const response = await service.handle(request);
  seen.add(response.status);
  const problems = [...openApiProblems(request, response)];
  if (response.status >= 500) problems.push(`status ${response.status}`);
  if (response.status >= 300 && !isErrorShape(response.body)) problems.push('not the error shape');
  const afterBudget = service.budget();
  const after = { remaining: afterBudget.remaining, pending: service.pendingPushes() };
  if (response.status === 202 || response.status === 429)
    problems.push(
      ...budgetProblems(reading, response.status, response.headers, budget, afterBudget),
    );
  const spent = response.status === 202 ? 1 : 0;
  if (after.remaining !== before.remaining - spent)
    problems.push(`budget ${before.remaining} -> ${after.remaining}`);
  if (after.pending !== before.pending + spent)
    problems.push(`pushes ${before.pending} -> ${after.pending}`);
  if (problems.length > 0)
    expect({ problems, request, response }).toEqual({ problems: [], request, response });
}

/** Statuses answered in the current run: each property checks its generators reach them all. */
const seen = new Set<number>();

async function run(
  arbitrary: fc.Arbitrary<{ target: Target; request: ServiceRequest }>,
  numRuns: number,
) {
  const services = { window: createServices('window'), pacing: createServices('pacing') };
  seen.clear();
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...READINGS), arbitrary, (reading, { target, request }) =>
      check(services, reading, target, request),
    ),
    { numRuns },
  );
}

/** encodeURIComponent, or the raw text where it cannot encode (a lone surrogate). */
const encodeSegment = (text: string) => {
  try {
    return encodeURIComponent(text);
  } catch {
    return text;
  }
};

const target = fc.constantFrom<Target>('open', 'strict');
const garbage = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'grapheme', maxLength: 10 }),
  fc.constantFrom('', ' ', 'null', '\u0000', '%', '%E0%A4%A', '..', '\ud800'),
);
const tokenId = fc.oneof(
  { arbitrary: fc.constantFrom('1', '2', '3', '4', '0', MAX_UINT256.toString()), weight: 6 },
  { arbitrary: fc.bigInt({ min: 0n, max: MAX_UINT256 + 10n }).map(String), weight: 2 },
  { arbitrary: fc.constantFrom('01', '-1', '1.0', '0x1', ' 1', '١', '9'.repeat(80)), weight: 1 },
  { arbitrary: garbage, weight: 1 },
);
const wrongType = fc.oneof(
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.object({ maxDepth: 1 }),
  fc.array(fc.integer(), { maxLength: 2 }),
);
const text = fc.oneof(fc.string({ maxLength: 20 }), fc.constant(null));
const attribute = fc.oneof(
  {
    arbitrary: fc.record({
      trait_type: fc.string({ maxLength: 8 }),
      value: fc.oneof(
        fc.string({ maxLength: 8 }),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.boolean(),
      ),
    }),
    weight: 4,
  },
  {
    arbitrary: fc.record({
      trait_type: fc.string({ maxLength: 8 }),
      value: fc.integer(),
      display_type: fc.constantFrom(
        'number',
        'boost_percentage',
        'boost_number',
        'date',
        null,
        'pct',
      ),
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({ trait_type: wrongType, value: wrongType }, { requiredKeys: [] }),
    weight: 1,
  },
);
const fields = fc
  .record(
    {
      name: fc.oneof(
        { arbitrary: text, weight: 5 },
        wrongType,
        fc.constant('n'.repeat(MAX_ITEM_BYTES)),
      ),
      description: fc.oneof({ arbitrary: text, weight: 5 }, wrongType),
      image: text,
      external_url: text,
      animation_url: fc.oneof({ arbitrary: text, weight: 5 }, wrongType),
      youtube_url: text,
      attributes: fc.oneof(fc.constant(null), fc.array(attribute, { maxLength: 3 }), wrongType),
    },
    { requiredKeys: [] },
  )
  .chain((f) =>
    // Mostly all seven keys: a missing key is one case among many, not most of them.
    fc.boolean().map((complete) => (complete ? { ...EMPTY_FIELDS, ...f } : f)),
  );
const extraKeys = fc.dictionary(
  fc.constantFrom('extra', 'tokenId', 'externalUrl'),
  fc.jsonValue({ maxDepth: 1 }),
  { maxKeys: 1 },
);
const validFields = fc.record({
  name: text,
  description: text,
  image: text,
  external_url: text,
  animation_url: text,
  youtube_url: text,
  attributes: fc.oneof(fc.constant(null), fc.array(attribute, { maxLength: 2 })),
});
const validNftItem = fc
  .tuple(fc.constantFrom('0', '1', '2', '3'), validFields)
  .map(([id, f]) => ({ token_id: id, ...f }));
const nftItem = fc
  .tuple(tokenId, fields, extraKeys, fc.nat(9))
  .map(([id, f, extra, n]) =>
    n === 0 ? { ...f, ...extra, token_id: id } : { ...f, token_id: id },
  );
const stackItem = fc
  .tuple(fc.oneof(fc.constant(STACK), fc.constant(STACK.toUpperCase()), fc.uuid(), garbage), fields)
  .map(([id, f]) => ({ ...f, metadata_id: id }));
const nftBody = fc.oneof(
  {
    arbitrary: fc
      .uniqueArray(validNftItem, { minLength: 1, maxLength: 3, selector: (i) => i.token_id })
      .map((list) => ({ nft_metadata: list })),
    weight: 8,
  },
  {
    arbitrary: fc
      .array(nftItem, { minLength: 1, maxLength: 4 })
      .map((list) => ({ nft_metadata: list })),
    weight: 8,
  },
  {
    arbitrary: fc.integer({ min: 249, max: 252 }).map((n) => ({
      nft_metadata: Array.from({ length: n }, (_, i) => ({
        token_id: String((i % 3) + 1),
        ...EMPTY_FIELDS,
      })),
    })),
    weight: 1,
  },
  {
    arbitrary: fc.record(
      { nft_metadata: fc.oneof(wrongType, fc.constant([])) },
      { requiredKeys: [] },
    ),
    weight: 1,
  },
);
const stackBody = fc.oneof(
  {
    arbitrary: fc
      .array(stackItem, { minLength: 1, maxLength: 3 })
      .map((list) => ({ metadata: list })),
    weight: 8,
  },
  {
    arbitrary: fc.integer({ min: 10, max: 11 }).map((n) => ({
      metadata: Array.from({ length: n }, () => ({ metadata_id: STACK, ...EMPTY_FIELDS })),
    })),
    weight: 1,
  },
  { arbitrary: fc.record({ metadata: wrongType }, { requiredKeys: [] }), weight: 1 },
);
const rawBody = fc.oneof(
  garbage,
  fc.json({ maxDepth: 2 }),
  fc.uint8Array({ maxLength: 64 }),
  fc.constantFrom<string | Uint8Array | undefined>(
    undefined,
    '',
    '[]',
    '{}',
    '{"nft_metadata":',
    '\ufeff{}',
  ),
);
const key = fc.oneof(
  { arbitrary: fc.constant<string | undefined>(KEY), weight: 8 },
  {
    arbitrary: fc.constantFrom<string | undefined>(
      undefined,
      '',
      ` ${KEY} `,
      `${KEY}x`,
      'sk_imapik-other',
    ),
    weight: 2,
  },
);
const address = fc.oneof(
  {
    arbitrary: fc.constantFrom(
      COLLECTION,
      COLLECTION.toUpperCase().replace('0X', '0x'),
      OTHER_COLLECTION,
    ),
    weight: 8,
  },
  {
    arbitrary: fc.oneof(
      garbage.filter((s) => s !== '' && !s.includes('/')),
      fc.constantFrom('0x123', `0X${'a'.repeat(40)}`),
    ),
    weight: 2,
  },
);
const chain = fc.oneof(
  { arbitrary: fc.constant(CHAIN), weight: 9 },
  { arbitrary: fc.constantFrom('imtbl-zkevm-mainnet', 'x'), weight: 1 },
);
const base = fc
  .tuple(chain, address)
  .map(([c, a]) => `/v1/chains/${c}/collections/${encodeSegment(a)}`);

const refreshProbe = fc
  .record({
    target,
    base,
    kind: fc.constantFrom('nfts', 'metadata'),
    key,
    body: fc.oneof(
      { arbitrary: nftBody.map((b) => JSON.stringify(b)), weight: 4 },
      { arbitrary: stackBody.map((b) => JSON.stringify(b)), weight: 4 },
      { arbitrary: rawBody, weight: 1 },
    ),
    bytes: fc.boolean(),
  })
  .map(({ target, base, kind, key, body, bytes }) => ({
    target,
    request: {
      method: 'POST',
      path: `${base}/${kind}/refresh-metadata`,
      headers: key === undefined ? {} : { 'x-immutable-api-key': key },
      body: bytes && typeof body === 'string' ? new TextEncoder().encode(body) : body,
    },
  }));

const readProbe = fc
  .record({
    target,
    base,
    single: fc.option(tokenId.map(encodeSegment), { nil: undefined }),
    pageSize: fc.option(fc.oneof(fc.integer({ min: -1, max: 202 }).map(String), garbage), {
      nil: undefined,
    }),
    cursor: fc.option(fc.oneof(garbage, fc.base64String({ maxLength: 40 })), { nil: undefined }),
    filters: fc.array(tokenId, { maxLength: 32 }),
    from: fc.option(
      fc.oneof(
        fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
        garbage,
      ),
      { nil: undefined },
    ),
  })
  .map(({ target, base, single, pageSize, cursor, filters, from }) => {
    const query = new URLSearchParams();
    if (pageSize !== undefined) query.set('page_size', pageSize);
    if (cursor !== undefined) query.set('page_cursor', cursor);
    if (from !== undefined) query.set('from_updated_at', from);
    for (const id of filters) query.append('token_id', id);
    const path = single === undefined ? `${base}/nfts?${query}` : `${base}/nfts/${single}`;
    return { target, request: { method: 'GET', path } };
  });

const pathProbe = fc
  .record({
    target,
    method: fc.oneof(
      fc.constantFrom('GET', 'POST', 'get', 'post', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'),
      garbage,
    ),
    path: fc.oneof(
      fc
        .array(
          fc.oneof(
            fc.constantFrom(
              'v1',
              'chains',
              CHAIN,
              'collections',
              COLLECTION,
              'nfts',
              'metadata',
              'refresh-metadata',
              '1',
              STACK,
              '%zz',
              '%2F',
              '',
            ),
            garbage,
          ),
          { maxLength: 8 },
        )
        .map((s) => `/${s.join('/')}`),
      base.chain((b) =>
        fc.constantFrom(
          b,
          `${b}/nfts`,
          `${b}/nfts/1`,
          `${b}/nfts/refresh-metadata`,
          `${b}/metadata/refresh-metadata`,
          `${b}/refresh-metadata`,
          `${b}/metadata`,
          `${b}/metadata/${STACK}`,
          `${b}/nfts/1/x`,
        ),
      ),
      garbage,
    ),
    key,
    body: fc.oneof(
      rawBody,
      nftBody.map((b) => JSON.stringify(b)),
    ),
  })
  .map(({ target, method, path, key, body }) => ({
    target,
    request: {
      method,
      path,
      headers: key === undefined ? {} : { 'x-immutable-api-key': key },
      body,
    },
  }));

describe('createZkEvmService().handle under generated requests', () => {
  it(
    'answers generated refresh bodies, keys and paths within the OpenAPI file, refusals free',
    async () => {
      await run(refreshProbe, RUNS.refreshBodies);
      expect([...seen].sort()).toEqual([202, 400, 401, 403, 404, 429]);
    },
    TIMEOUT_MS,
  );

  it(
    'answers generated NFT reads: token ids, page sizes, cursors, filters',
    async () => {
      await run(readProbe, RUNS.reads);
      expect([...seen].sort()).toEqual([200, 400, 404]);
    },
    TIMEOUT_MS,
  );

  it(
    'answers arbitrary methods and paths with a route or the platform error shape',
    async () => {
      await run(pathProbe, RUNS.paths);
      expect([...seen]).toEqual(expect.arrayContaining([200, 400, 404]));
    },
    TIMEOUT_MS,
  );
});
