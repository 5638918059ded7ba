import { describe, expect, it } from 'vitest';
import type { Refresh, RefreshError } from '../../src/index.js';
import type { MetadataApiAnswer, MetadataApiHandler } from '../../src/server/index.js';
import { COLLECTION } from '../support/fixtures.js';
import type { Stack } from '../support/metadata-api.js';
import { errorsOf, slowDrip, useStacks } from '../support/metadata-api.js';

const FETCH_TIMEOUT_MS = 500;
const CONCURRENCY = 32;
const DRIP_EVERY_MS = 30;
const MIX_SIZE = 60;

type Fault =
  | 'ok'
  | 'resetMidBody'
  | 'partialThenClose'
  | 'partialThenIdle'
  | 'slowDrip'
  | 'notJson'
  | 'unavailable';

const NOT_JSON = '{"name": "Hero';
const UNAVAILABLE = 'metadata store unavailable';

const metadataOf = (tokenId: string) => ({ name: `Hero ${tokenId}`, attributes: [{ level: 3 }] });

/** How a token answers one request with `fault`; a body cut short is written by hand. */
function answer(fault: Fault, tokenId: string): MetadataApiAnswer {
  const body = JSON.stringify(metadataOf(tokenId));
  const length = String(Buffer.byteLength(body));
  switch (fault) {
    case 'ok':
      return { json: metadataOf(tokenId), headers: { 'content-length': length } };
    case 'resetMidBody':
      return {
        respond: (request, response) => {
          response.writeHead(200, { 'content-type': 'application/json', 'content-length': length });
          response.write(body.slice(0, body.length >> 1), () => request.socket.destroy());
        },
      };
    case 'partialThenClose':
      return {
        respond: (request, response) => {
          response.writeHead(200, { 'content-type': 'application/json', 'content-length': '4096' });
          response.end(body, () => request.socket.destroy());
        },
      };
    case 'partialThenIdle':
      return { json: metadataOf(tokenId), headers: { 'content-length': '4096' } };
    case 'slowDrip':
      return slowDrip(DRIP_EVERY_MS);
    case 'notJson':
      return { body: NOT_JSON, contentType: 'application/json' };
    case 'unavailable':
      return { status: 503, body: UNAVAILABLE };
  }
}

/** Answers the token's n-th request with its n-th fault, and later ones with the last. */
const faults =
  (tokenId: string, plan: Fault[]): MetadataApiHandler =>
  ({ attempt }) =>
    answer(plan[Math.min(attempt, plan.length) - 1] ?? 'ok', tokenId);

const stacks = useStacks();

const start = (): Promise<Stack> =>
  stacks.start({
    fallback: ({ tokenId }) => answer('ok', tokenId),
    server: (api) => ({
      collections: [{ address: COLLECTION, metadataApiUrl: api.url }],
      fetchTimeoutMs: FETCH_TIMEOUT_MS,
      concurrency: CONCURRENCY,
      limits: { refreshesPerHour: 100 },
    }),
  });

interface Expected {
  succeeded: boolean;
  attempts: number;
  error?: Pick<RefreshError, 'errorCode' | 'clientResponseStatusCode' | 'clientResponseBody'>;
}

const RETRIEVE_FAILED = {
  errorCode: 'unable_to_retrieve_metadata',
  clientResponseStatusCode: null,
  clientResponseBody: null,
};

function expectedFor(faults: Fault[]): Expected {
  const last = faults[faults.length - 1];
  if (last === 'ok') return { succeeded: true, attempts: faults.length };
  if (last === 'notJson') {
    return {
      succeeded: false,
      attempts: 2,
      error: {
        errorCode: 'unable_to_decode_response',
        clientResponseStatusCode: 200,
        clientResponseBody: NOT_JSON,
      },
    };
  }
  if (last === 'unavailable') {
    return {
      succeeded: false,
      attempts: 2,
      error: {
        errorCode: 'invalid_response_status_code',
        clientResponseStatusCode: 503,
        clientResponseBody: UNAVAILABLE,
      },
    };
  }
  return { succeeded: false, attempts: 2, error: RETRIEVE_FAILED };
}

async function runRefresh(
  e: Stack,
  plans: Map<string, Fault[]>,
  pageSize?: number,
): Promise<{ refresh: Refresh; errors: RefreshError[] }> {
  for (const [tokenId, plan] of plans) e.api.answer(tokenId, faults(tokenId, plan));
  const { refreshId } = await e.client.requestRefresh({
    collectionAddress: COLLECTION,
    tokenIds: [...plans.keys()],
  });
  await e.server.service.settled();
  return {
    refresh: await e.client.getRefresh(refreshId),
    errors: await errorsOf(e.client, refreshId, pageSize),
  };
}

function assertOutcomes(
  e: Stack,
  plans: Map<string, Fault[]>,
  { refresh, errors }: { refresh: Refresh; errors: RefreshError[] },
): void {
  const expected = new Map([...plans].map(([id, faults]) => [id, expectedFor(faults)]));
  const succeeded = [...expected.values()].filter((x) => x.succeeded).length;
  expect(refresh).toMatchObject({
    status: 'completed',
    summary: { succeeded, failed: plans.size - succeeded, pending: 0 },
  });
  expect(refresh.completedAt).toEqual(expect.any(String));

  const rows = new Map(errors.map((row) => [row.tokenId, row]));
  expect(rows.size).toBe(errors.length);
  for (const [tokenId, outcome] of expected) {
    expect({ tokenId, hits: e.api.hits(tokenId) }).toEqual({ tokenId, hits: outcome.attempts });
    if (outcome.succeeded) {
      expect(rows.has(tokenId)).toBe(false);
      expect(e.server.service.getTokenMetadata(COLLECTION, tokenId)?.metadata).toEqual(
        metadataOf(tokenId),
      );
    } else {
      expect(rows.get(tokenId)).toEqual({
        tokenId,
        collectionAddress: COLLECTION,
        clientTokenMetadataUrl: `${e.api.url}/${tokenId}`,
        createdAt: expect.any(String),
        ...outcome.error,
      });
      expect(e.server.service.getTokenMetadata(COLLECTION, tokenId)).toBeUndefined();
    }
  }
}

async function assertHealthy(e: Stack, tokenIds: string[]): Promise<void> {
  const { refresh, errors } = await runRefresh(
    e,
    new Map(tokenIds.map((id) => [id, ['ok' as Fault]])),
  );
  expect(refresh).toMatchObject({
    status: 'completed',
    summary: { succeeded: tokenIds.length, failed: 0, pending: 0 },
  });
  expect(errors).toEqual([]);
  const listed = await e.client.listRefreshes({ collectionAddress: COLLECTION });
  expect(listed.result.map((r) => r.refreshId)).toContain(refresh.refreshId);
}

const repeat = (prefix: string, count: number, faults: Fault[]) =>
  new Map(Array.from({ length: count }, (_, i) => [`${prefix}-${i + 1}`, faults]));

describe('one fault per refresh', () => {
  it.each<[string, Fault]>([
    ['a connection reset mid-body', 'resetMidBody'],
    ['a body shorter than its content-length, then a close', 'partialThenClose'],
    ['a body shorter than its content-length, then silence', 'partialThenIdle'],
    ['a body dripped past the fetch timeout', 'slowDrip'],
  ])('fails every token with unable_to_retrieve_metadata on %s', async (_name, fault) => {
    const e = await start();
    const plans = repeat(fault, 6, [fault, fault]);
    assertOutcomes(e, plans, await runRefresh(e, plans));
    await assertHealthy(e, ['after-1', 'after-2']);
  });

  it.each<[string, Fault]>([
    ['a reset mid-body', 'resetMidBody'],
    ['a partial body', 'partialThenClose'],
    ['a slow drip', 'slowDrip'],
  ])('succeeds on the retry after %s', async (_name, fault) => {
    const e = await start();
    const plans = repeat(fault, 4, [fault, 'ok']);
    assertOutcomes(e, plans, await runRefresh(e, plans));
  });
});

const MIX: Fault[][] = [
  ['ok'],
  ['resetMidBody', 'resetMidBody'],
  ['partialThenClose', 'partialThenClose'],
  ['slowDrip', 'slowDrip'],
  ['resetMidBody', 'ok'],
  ['partialThenIdle', 'ok'],
  ['slowDrip', 'ok'],
  ['resetMidBody', 'partialThenIdle'],
  ['partialThenClose', 'slowDrip'],
  ['slowDrip', 'resetMidBody'],
  ['resetMidBody', 'notJson'],
  ['slowDrip', 'unavailable'],
];

function mixedPlans(count: number): Map<string, Fault[]> {
  return new Map(
    Array.from({ length: count }, (_, i) => {
      const tokenId = String(1000 + i * 7);
      return [tokenId, MIX[(i * 5) % MIX.length] as Fault[]];
    }),
  );
}

describe(`a refresh of ${MIX_SIZE} tokens mixing every fault`, () => {
  it('gives exact counts, the exact error of every token, and keeps serving', async () => {
    const e = await start();
    const plans = mixedPlans(MIX_SIZE);
    const result = await runRefresh(e, plans, 7);
    expect(result.refresh.summary).toEqual({ succeeded: 20, failed: 40, pending: 0 });
    const byCode = new Map<string, number>();
    for (const { errorCode } of result.errors) {
      byCode.set(errorCode, (byCode.get(errorCode) ?? 0) + 1);
    }
    expect(Object.fromEntries(byCode)).toEqual({
      unable_to_retrieve_metadata: 30,
      unable_to_decode_response: 5,
      invalid_response_status_code: 5,
    });
    assertOutcomes(e, plans, result);
    await assertHealthy(e, ['after-1', 'after-2', 'after-3']);
  });

  it('processes the same mix twice in a row with the same outcome', async () => {
    const e = await start();
    const first = mixedPlans(MIX_SIZE);
    assertOutcomes(e, first, await runRefresh(e, first));
    const second = new Map([...first].map(([id, faults]) => [`again-${id}`, faults]));
    assertOutcomes(e, second, await runRefresh(e, second));
    await assertHealthy(e, ['after']);
  });
});
