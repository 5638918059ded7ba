/**
 * Finding the refresh an uncertain send created, from the collection's newest refreshes: adopt
 * the one that is ours, and never one that is not (that would end ids that were never refreshed).
 */
import { describe, expect, it } from 'vitest';
import {
  AbortError,
  ApiError,
  ConnectionError,
  InvalidRequestError,
  type Refresh,
} from '../../src/index.js';
import { findUncertainRefresh, type ReconcileClient } from '../../src/scheduler/reconcile.js';
import { COLLECTION } from '../support/fixtures.js';

const SENT_AT = Date.parse('2030-01-01T10:00:00Z');
const SKEW = 5_000;

interface Row {
  id: string;
  /** Start as ms, or as the API's text when it is not a date. */
  startedAt: number | string;
  summary?: { succeeded: number; failed: number; pending: number };
  /** What getRefresh rejects with for this id. */
  error?: Error;
}

const counting = (n: number) => ({ succeeded: 0, failed: 0, pending: n });

/** A listing of `rows` (newest first, as the API lists them) and their refreshes by id. */
function api(rows: Row[], { onListed }: { onListed?: () => void } = {}) {
  const listed: { collectionAddress: string | undefined }[] = [];
  const fetched: string[] = [];
  const toRefresh = (row: Row): Refresh => ({
    refreshId: row.id,
    status: 'in_progress',
    collectionAddress: COLLECTION,
    startedAt:
      typeof row.startedAt === 'number' ? new Date(row.startedAt).toISOString() : row.startedAt,
    completedAt: null,
    summary: row.summary ?? counting(3),
  });
  const client = {
    iterateRefreshes(params: { collectionAddress?: string; signal?: AbortSignal }) {
      listed.push({ collectionAddress: params.collectionAddress });
      return (async function* () {
        for (const row of rows) {
          if (params.signal?.aborted) throw new AbortError('aborted');
          const { summary: _summary, ...item } = toRefresh(row);
          yield item;
        }
        onListed?.();
      })();
    },
    async getRefresh(id: string, options: { signal?: AbortSignal } = {}) {
      if (options.signal?.aborted) throw new AbortError('aborted');
      fetched.push(id);
      const row = rows.find((r) => r.id === id);
      if (!row) throw new Error(`no row ${id}`);
      if (row.error) throw row.error;
      return toRefresh(row);
    },
  } as unknown as ReconcileClient;
  return { client, listed, fetched };
}

/** Looks for a send of `tokenCount` ids begun at SENT_AT; the store knows the ids in `known`. */
async function find(
  client: ReconcileClient,
  { tokenCount = 3, known = [] as string[], signal = undefined as AbortSignal | undefined } = {},
) {
  const claimed: string[] = [];
  const refresh = await findUncertainRefresh({
    client,
    collectionAddress: COLLECTION,
    tokenCount,
    sentAtMs: SENT_AT,
    clockSkewMs: SKEW,
    claim: async (id) => {
      if (known.includes(id)) return false;
      claimed.push(id);
      return true;
    },
    signal,
  });
  return { id: refresh?.refreshId, claimed };
}

describe('findUncertainRefresh', () => {
  it("adopts the refresh that started after the send and counts the batch's ids", async () => {
    const { client, listed } = api([{ id: 'ours', startedAt: SENT_AT + 800 }]);
    expect(await find(client)).toEqual({ id: 'ours', claimed: ['ours'] });
    expect(listed).toEqual([{ collectionAddress: COLLECTION }]);
  });

  it('finds nothing in an empty listing', async () => {
    const { client } = api([]);
    expect(await find(client)).toEqual({ id: undefined, claimed: [] });
  });

  it('allows for a server clock up to the skew behind ours, and no more', async () => {
    const edge = api([{ id: 'edge', startedAt: SENT_AT - SKEW }]);
    expect((await find(edge.client)).id).toBe('edge');
    const before = api([{ id: 'before', startedAt: SENT_AT - SKEW - 1 }]);
    expect((await find(before.client)).id).toBeUndefined();
    expect(before.fetched).toEqual([]);
  });

  it('stops at the first refresh older than the send: the rest are older still', async () => {
    const { client, fetched } = api([
      { id: 'newer-other-size', startedAt: SENT_AT + 2_000, summary: counting(7) },
      { id: 'old-same-size', startedAt: SENT_AT - 60_000 },
      // Out of order, but after an old row: never reached.
      { id: 'after-old', startedAt: SENT_AT + 1_000 },
    ]);
    expect((await find(client)).id).toBeUndefined();
    expect(fetched).toEqual(['newer-other-size']);
  });

  it('never adopts a refresh of another size', async () => {
    const { client } = api([
      { id: 'two', startedAt: SENT_AT + 1_000, summary: counting(2) },
      { id: 'four', startedAt: SENT_AT + 2_000, summary: counting(4) },
    ]);
    expect((await find(client)).id).toBeUndefined();
  });

  it('counts the ids in every state: succeeded, failed and pending', async () => {
    const { client } = api([
      { id: 'mixed', startedAt: SENT_AT + 1_000, summary: { succeeded: 2, failed: 1, pending: 2 } },
    ]);
    expect((await find(client, { tokenCount: 5 })).id).toBe('mixed');
    expect((await find(client, { tokenCount: 3 })).id).toBeUndefined();
  });

  it('prefers the refresh that started closest after the send', async () => {
    const { client } = api([
      { id: 'later', startedAt: SENT_AT + 9_000 },
      { id: 'sooner', startedAt: SENT_AT + 1_000 },
      { id: 'between', startedAt: SENT_AT + 4_000 },
    ]);
    expect(await find(client)).toEqual({ id: 'sooner', claimed: ['sooner'] });
  });

  it('passes over a refresh the store already knows, for the next one', async () => {
    const { client } = api([
      { id: 'next', startedAt: SENT_AT + 3_000 },
      { id: 'known', startedAt: SENT_AT + 1_000 },
    ]);
    expect(await find(client, { known: ['known'] })).toEqual({ id: 'next', claimed: ['next'] });
    expect(await find(client, { known: ['known', 'next'] })).toEqual({
      id: undefined,
      claimed: [],
    });
  });

  it('skips a listed refresh without a readable start', async () => {
    const { client, fetched } = api([{ id: 'undated', startedAt: 'yesterday' }]);
    expect((await find(client)).id).toBeUndefined();
    expect(fetched).toEqual([]);
  });

  it('reads at most 200 rows', async () => {
    // 250 refreshes of other sizes, newest first, all after the send; one of ours among them.
    const rows = (ours: number) =>
      Array.from({ length: 250 }, (_, i) => ({
        id: `r${i}`,
        startedAt: SENT_AT + 1_000 + (250 - i) * 10,
        summary: counting(i === ours ? 3 : 1),
      }));
    expect((await find(api(rows(199)).client)).id).toBe('r199');
    const past = api(rows(200));
    expect((await find(past.client)).id).toBeUndefined();
    expect(past.fetched).toHaveLength(200);
  });

  it.each<[string, Error]>([
    ['not found (404)', ApiError.from({ status: 404, body: {}, headers: {} })],
    ['an id the client refuses', new InvalidRequestError('refreshId must be a non-empty string')],
  ])('passes over a listed refresh the API cannot serve by id: %s', async (_name, error) => {
    const { client } = api([
      { id: 'next', startedAt: SENT_AT + 3_000 },
      { id: 'broken', startedAt: SENT_AT + 1_000, error },
    ]);
    expect(await find(client)).toEqual({ id: 'next', claimed: ['next'] });
  });

  it.each<[string, Error]>([
    ['a 500', ApiError.from({ status: 500, body: {}, headers: {} })],
    ['a 403', ApiError.from({ status: 403, body: {}, headers: {} })],
    ['a broken connection', new ConnectionError('ECONNRESET', { nothingSent: false })],
  ])('rejects when a refresh cannot be read (%s): that proves nothing', async (_name, error) => {
    const { client } = api([
      { id: 'next', startedAt: SENT_AT + 3_000 },
      { id: 'unreadable', startedAt: SENT_AT + 1_000, error },
    ]);
    await expect(find(client)).rejects.toBe(error);
  });

  it('stops reading when its signal aborts (the scheduler is stopping)', async () => {
    const controller = new AbortController();
    const { client } = api([{ id: 'ours', startedAt: SENT_AT + 1_000 }], {
      onListed: () => controller.abort(),
    });
    await expect(find(client, { signal: controller.signal })).rejects.toThrow(AbortError);
    const early = new AbortController();
    early.abort();
    const listedOnly = api([{ id: 'ours', startedAt: SENT_AT + 1_000 }]);
    await expect(find(listedOnly.client, { signal: early.signal })).rejects.toThrow(AbortError);
  });
});
