/**
 * A send that may have been accepted is reconciled, never resent blindly: each blind resend
 * would spend another unit of the hourly budget on the same ids.
 */
import { inspect } from 'node:util';
import { HttpResponse, http } from 'msw';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  ConnectionError,
  MemoryStore,
  type MetadataRefreshClient,
  ResponseValidationError,
  type SchedulerClient,
  TimeoutError,
} from '../../src/index.js';
import { BASE_URL, COLLECTION } from '../support/fixtures.js';
import { harness, server } from './harness.js';

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const ids = (n: number, prefix = 't') => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

/** The first `times` POSTs reach the API and are accepted, but the caller sees `error` instead. */
function acceptedThenLost(error: () => Error, times = 1) {
  return (client: MetadataRefreshClient): SchedulerClient => {
    let left = times;
    return {
      getRefresh: (...a) => client.getRefresh(...a),
      iterateRefreshErrors: (...a) => client.iterateRefreshErrors(...a),
      iterateRefreshes: (...a) => client.iterateRefreshes(...a),
      async requestRefresh(params) {
        const result = await client.requestRefresh(params);
        if (left-- > 0) throw error();
        return result;
      },
    };
  };
}

function outcomes(h: ReturnType<typeof harness>) {
  const finals = h.finals();
  return {
    total: finals.size,
    allSucceededOnce: [...finals.values()].every(
      (f) => f.length === 1 && f[0]?.type === 'tokenSucceeded',
    ),
  };
}

describe('an uncertain send', () => {
  it('adopts the refresh a timed-out POST created instead of sending the batch again', async () => {
    const h = harness(
      { maxDelayMs: 0 },
      {},
      undefined,
      acceptedThenLost(() => new TimeoutError('The request timed out after 15000 ms')),
    );
    await h.scheduler.enqueue(COLLECTION, ids(5));
    h.scheduler.start();
    await h.scheduler.drained();
    await h.scheduler.stop();
    expect(h.posts.map((p) => p.status)).toEqual([202]);
    const types = h.events.map((e) => e.type);
    expect(types.indexOf('batchUncertain')).toBeLessThan(types.indexOf('batchReconciled'));
    const reconciled = h.events.find((e) => e.type === 'batchReconciled');
    const refreshes = await h.client.listRefreshes({ collectionAddress: COLLECTION });
    expect(refreshes.result).toHaveLength(1);
    expect(reconciled).toMatchObject({ refreshId: refreshes.result[0]?.refreshId });
    expect(outcomes(h)).toEqual({ total: 5, allSucceededOnce: true });
    // The one accepted request is the only one counted.
    expect((await h.scheduler.stats()).budget.used).toBe(1);
  });

  it('adopts the refresh of a 202 whose body carried no readable refresh id', async () => {
    const h = harness(
      { maxDelayMs: 0 },
      {},
      undefined,
      acceptedThenLost(
        () => new ResponseValidationError('refresh_id: expected string', { body: {}, status: 202 }),
      ),
    );
    await h.scheduler.enqueue(COLLECTION, ids(3));
    h.scheduler.start();
    await h.scheduler.drained();
    await h.scheduler.stop();
    expect(h.posts).toHaveLength(1);
    expect(outcomes(h)).toEqual({ total: 3, allSucceededOnce: true });
  });

  it('adopts after a connection that broke mid-request, checking within seconds', async () => {
    const h = harness(
      { maxDelayMs: 0 },
      {},
      undefined,
      acceptedThenLost(
        () => new ConnectionError('Could not reach the API: ECONNRESET', { nothingSent: false }),
      ),
    );
    await h.scheduler.enqueue(COLLECTION, ids(2));
    const t0 = h.clock.now();
    h.scheduler.start();
    await h.scheduler.drained();
    await h.scheduler.stop();
    const reconciled = h.events.find((e) => e.type === 'batchReconciled');
    expect(reconciled?.at).toBe(t0 + 2_000);
    expect(h.posts).toHaveLength(1);
  });

  it('sends again only after every check found nothing (a 502 from a proxy)', async () => {
    const h = harness({ maxDelayMs: 0 });
    h.mock.failNext({ status: 502, method: 'POST' });
    await h.scheduler.enqueue(COLLECTION, ids(4));
    const t0 = h.clock.now();
    h.scheduler.start();
    await h.scheduler.drained();
    await h.scheduler.stop();
    expect(h.posts.map((p) => p.status)).toEqual([502, 202]);
    const reconciled = h.events.find((e) => e.type === 'batchReconciled');
    expect(reconciled).toMatchObject({ refreshId: undefined });
    expect(reconciled?.at).toBe(t0 + 15_000);
    expect(h.posts[1]?.at).toBeGreaterThanOrEqual(t0 + 15_000);
    expect(outcomes(h)).toEqual({ total: 4, allSucceededOnce: true });
    // Both requests spent budget: the refused one may have been counted by the server.
    expect((await h.scheduler.stats()).budget.used).toBe(2);
  });

  it("treats a proxy's 408 as transient: the ids are sent again, not failed", async () => {
    const h = harness({ maxDelayMs: 0 });
    h.mock.failNext({ status: 408, method: 'POST' });
    await h.scheduler.enqueue(COLLECTION, ['1']);
    h.scheduler.start();
    await h.scheduler.drained();
    await h.scheduler.stop();
    expect(h.posts.map((p) => p.status)).toEqual([408, 202]);
    expect(h.finals().get('1')).toEqual([expect.objectContaining({ type: 'tokenSucceeded' })]);
  });

  it('fails the ids of a POST redirected elsewhere once, without following or resending it', async () => {
    const h = harness({ maxDelayMs: 0 });
    server.use(
      http.post(
        `${BASE_URL}/v1/metadata-refreshes`,
        () =>
          new HttpResponse(null, {
            status: 307,
            headers: { location: 'https://elsewhere.example/v1/metadata-refreshes' },
          }),
        { once: true },
      ),
    );
    await h.scheduler.enqueue(COLLECTION, ['1', '2']);
    h.scheduler.start();
    await h.scheduler.drained();
    await h.scheduler.stop();
    expect(h.posts.map((p) => p.status)).toEqual([307]);
    expect([...h.finals().values()].map((f) => f.map((e) => e.type))).toEqual([
      ['tokenFailed'],
      ['tokenFailed'],
    ]);
  });

  it('never adopts a refresh of another size, or one the store already knows', async () => {
    const store = new MemoryStore();
    const h = harness({ maxDelayMs: 0, store }, {}, undefined, (client) => ({
      getRefresh: (...a) => client.getRefresh(...a),
      iterateRefreshErrors: (...a) => client.iterateRefreshErrors(...a),
      iterateRefreshes: (...a) => client.iterateRefreshes(...a),
      async requestRefresh(params) {
        if (params.tokenIds.includes('mine-0') && !sentOthers) {
          sentOthers = true;
          // While our send hangs, a tool sends 2 ids, and another batch of 3 is known to the store.
          await client.requestRefresh({ collectionAddress: COLLECTION, tokenIds: ['x', 'y'] });
          const known = await client.requestRefresh({
            collectionAddress: COLLECTION,
            tokenIds: ['k0', 'k1', 'k2'],
          });
          await store.enqueue({
            collectionAddress: COLLECTION,
            tokens: ids(3, 'k').map((tokenId) => ({ tokenId, attempts: 0 })),
            nowMs: 0,
          });
          const leaseUntil = h.clock.now() + 30_000;
          const batch = await store.takeBatch({
            collectionAddress: COLLECTION,
            max: 3,
            leaseUntilMs: leaseUntil,
            nowMs: h.clock.now(),
          });
          expect(
            await store.markSent({
              batchId: batch?.batchId as string,
              refreshId: known.refreshId,
              leaseUntilMs: leaseUntil,
            }),
          ).toBe(true);
          throw new TimeoutError('The request timed out after 15000 ms');
        }
        return client.requestRefresh(params);
      },
    }));
    let sentOthers = false;
    await h.scheduler.enqueue(COLLECTION, ids(3, 'mine-'));
    h.scheduler.start();
    await h.scheduler.drained();
    await h.scheduler.stop();
    expect(h.events.find((e) => e.type === 'batchReconciled')).toMatchObject({
      refreshId: undefined,
    });
    // Ours went out again; the known batch was adopted when its lease ran out, as before.
    const finals = h.finals();
    expect([...finals.keys()].sort()).toEqual(['k0', 'k1', 'k2', 'mine-0', 'mine-1', 'mine-2']);
  });

  it('passes no credential to onEvent: its errors never hold the signing headers', async () => {
    const h = harness({ maxDelayMs: 0 });
    h.mock.failNext({ network: true, method: 'POST' });
    h.mock.failNext({ status: 503, method: 'POST' });
    await h.scheduler.enqueue(COLLECTION, ['1']);
    h.scheduler.start();
    await h.scheduler.drained();
    await h.scheduler.stop();
    const errors = h.events.filter((e) => e.type === 'error' || e.type === 'batchUncertain');
    expect(errors.length).toBeGreaterThanOrEqual(2);
    const signature = h.mock.requests.find((r) => r.method === 'POST')?.headers[
      'x-imx-eth-signature'
    ];
    expect(signature).toMatch(/^0x[0-9a-f]{130}$/i);
    for (const event of errors) {
      const error = 'error' in event ? event.error : undefined;
      const printed = [
        inspect(error, { showHidden: true, depth: 20 }),
        JSON.stringify(error),
        (error as Error).stack ?? '',
      ].join('\n');
      expect(printed).not.toContain('x-imx-eth-signature');
      expect(printed).not.toContain(String(signature).slice(2, 40));
    }
  });
});
