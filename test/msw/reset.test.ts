/**
 * `mock.reset()` between tests is a real reset: a Metadata API answer a test left hanging does
 * not hold the next test's `settled()`, and tokens minted with `addTokens` are forgotten.
 */
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { MetadataRefreshClient } from '../../src/index.js';
import { createMetadataRefreshMock } from '../../src/msw/index.js';
import { BASE_URL, COLLECTION, PRIVATE_KEY } from '../support/fixtures.js';

const NEVER = 'never';
const signals: AbortSignal[] = [];
let startedNever: () => void = () => undefined;

const mock = createMetadataRefreshMock({
  baseURL: BASE_URL,
  collections: [{ address: COLLECTION, tokenIds: ['1', NEVER] }],
  resolveMetadata: (_collection, tokenId, { signal }) => {
    if (tokenId !== NEVER) return { name: `Hero ${tokenId}` };
    signals.push(signal);
    startedNever();
    return new Promise(() => undefined);
  },
});
const server = setupServer(...mock.handlers);

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => {
  mock.reset();
  vi.useRealTimers();
});
afterAll(() => server.close());

const client = () =>
  new MetadataRefreshClient({ signer: PRIVATE_KEY, baseURL: BASE_URL, clock: mock.clock });

/** Whether `promise` settles before a few turns of the event loop (no timer involved). */
async function settlesPromptly(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  void promise.then(() => {
    settled = true;
  });
  for (let i = 0; i < 5 && !settled; i++) await new Promise((r) => setImmediate(r));
  return settled;
}

describe('reset()', () => {
  it('abandons a resolveMetadata that never answers: settled() resolves at once', async () => {
    // Timers are faked so the 3 s attempt timeout can never be what ends the wait.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const started = new Promise<void>((resolve) => {
      startedNever = resolve;
    });
    const { refreshId } = await client().requestRefresh({
      collectionAddress: COLLECTION,
      tokenIds: ['1', NEVER],
    });
    await started;
    expect(await settlesPromptly(mock.service.settled())).toBe(false);
    const pending = mock.service.settled();

    mock.reset();

    expect(await settlesPromptly(pending)).toBe(true);
    expect(await settlesPromptly(mock.service.settled())).toBe(true);
    expect(signals).toHaveLength(1);
    expect(signals[0]?.aborted).toBe(true);
    expect(mock.service.getRefresh(refreshId)).toBeUndefined();
    // The abandoned token never reports into the next test's store, and the worker has room.
    vi.useRealTimers();
    const next = await client().requestRefresh({ collectionAddress: COLLECTION, tokenIds: ['1'] });
    await mock.service.settled();
    expect(mock.service.getRefresh(next.refreshId)?.summary).toEqual({
      succeeded: 1,
      failed: 0,
      pending: 0,
    });
  });

  it('forgets tokens minted with addTokens, keeping the configured ones', async () => {
    mock.service.addTokens(COLLECTION, ['2']);
    const minted = await client().requestRefresh({
      collectionAddress: COLLECTION,
      tokenIds: ['2'],
    });
    await mock.service.settled();
    expect(mock.service.getRefresh(minted.refreshId)?.summary.succeeded).toBe(1);

    mock.reset();

    const after = await client().requestRefresh({
      collectionAddress: COLLECTION,
      tokenIds: ['1', '2'],
    });
    await mock.service.settled();
    const errors = await client().getRefreshErrors(after.refreshId);
    expect(errors.result.map((e) => [e.tokenId, e.errorCode])).toEqual([['2', 'token_not_found']]);
    expect(mock.service.getTokenMetadata(COLLECTION, '1')?.metadata).toEqual({ name: 'Hero 1' });
  });
});
