/**
 * Batching, through a fake target: full batches under a backlog, `maxBatchSize`, `maxDelayMs`,
 * deduplication, the oldest work first, and ids a request cannot carry. The fake has no HTTP, so
 * these run in milliseconds on the injected clock; the client + msw runs keep a few end-to-end.
 */
import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../../src/index.js';
import { COLLECTION, fakeRun, HOUR, ids, OTHER, ofType } from './fake-harness.js';

const fixed = { kind: 'fixed', limit: 10, windowMs: HOUR } as const;

describe('batching', () => {
  it('sends full batches under a backlog and the rest after maxDelayMs, each id ending once', async () => {
    const r = fakeRun({ budget: fixed, maxBatchSize: 100 }, { maxDelayMs: 60_000 });
    const t0 = r.clock.now();
    await r.scheduler.enqueue(COLLECTION, ids(150));
    await r.scheduler.enqueue(COLLECTION, [...ids(100), ...ids(100, 'u')]);
    await r.drain();
    const sent = ofType(r.events, 'batchSent');
    expect(sent.map((e) => e.tokenIds.length)).toEqual([100, 100, 50]);
    expect(sent[0]?.at).toBe(t0);
    expect(sent[1]?.at).toBe(t0);
    // The partial batch waited for more ids, exactly maxDelayMs after its oldest.
    expect(sent[2]?.at).toBe(t0 + 60_000);
    // Oldest first: the first batch is the first 100 enqueued.
    expect(sent[0]?.tokenIds).toEqual(ids(100));
    const finals = r.finals();
    expect(finals.size).toBe(250);
    expect(
      [...finals.values()].every((f) => f.length === 1 && f[0]?.type === 'tokenSucceeded'),
    ).toBe(true);
    expect(ofType(r.events, 'refreshCompleted')).toHaveLength(3);
  });

  it('never puts more than maxBatchSize ids in a request, below the API maximum', async () => {
    const r = fakeRun({ budget: fixed, maxBatchSize: 100 }, { maxBatchSize: 7, maxDelayMs: 0 });
    await r.scheduler.enqueue(COLLECTION, ids(30));
    await r.drain();
    expect(r.target.sends().map((s) => s.tokenIds.length)).toEqual([7, 7, 7, 7, 2]);
    expect(new Set(r.target.sends().flatMap((s) => s.tokenIds)).size).toBe(30);
  });

  it('refuses a maxBatchSize above the target maximum, naming the range', () => {
    expect(() => fakeRun({ budget: fixed, maxBatchSize: 100 }, { maxBatchSize: 101 })).toThrow(
      InvalidRequestError,
    );
    expect(() => fakeRun({ budget: fixed, maxBatchSize: 100 }, { maxBatchSize: 101 })).toThrow(
      /1 to 100/,
    );
    expect(() => fakeRun({ budget: fixed, maxBatchSize: 100 }, { maxBatchSize: 2.5 })).toThrow(
      /1 to 100/,
    );
  });

  it('a lone id waits maxDelayMs for company; ids that come meanwhile go in the same request', async () => {
    const r = fakeRun({ budget: fixed }, { maxDelayMs: 30_000 });
    const t0 = r.clock.now();
    await r.scheduler.enqueue(COLLECTION, ['a']);
    r.clock.set(t0 + 10_000);
    await r.scheduler.enqueue(COLLECTION, ['b']);
    await r.drain();
    const sent = ofType(r.events, 'batchSent');
    expect(sent.map((e) => [e.at, e.tokenIds])).toEqual([[t0 + 30_000, ['a', 'b']]]);
    expect(r.target.sends()).toHaveLength(1);
  });

  it('on a fixed budget the default maxDelayMs is the window over the limit', async () => {
    const r = fakeRun({ budget: fixed });
    const t0 = r.clock.now();
    await r.scheduler.enqueue(COLLECTION, ['a']);
    expect((await r.scheduler.stats()).pending).toBe(1);
    await r.drain();
    expect(r.target.sends().map((s) => s.at)).toEqual([t0 + HOUR / 10]);
  });

  it('on a learned budget a lone id goes at once (the first answer tells the budget)', async () => {
    const r = fakeRun({ budget: { kind: 'learned', limit: 100, windowMs: HOUR }, settled: true });
    const t0 = r.clock.now();
    await r.scheduler.enqueue(COLLECTION, ['a']);
    await r.drain();
    expect(r.target.sends().map((s) => s.at)).toEqual([t0]);
  });

  it('deduplicates ids while pending, and sends the oldest collection first', async () => {
    const r = fakeRun({ budget: fixed }, { maxDelayMs: 1_000 });
    await r.scheduler.enqueue(OTHER, ['a', 'b']);
    r.clock.set(r.clock.now() + 10);
    await r.scheduler.enqueue(COLLECTION, ['1', '2', '2']);
    await r.scheduler.enqueue(COLLECTION, ['1', '3']);
    expect((await r.scheduler.stats()).pending).toBe(5);
    await r.drain();
    expect(ofType(r.events, 'batchSent').map((e) => [e.collectionAddress, e.tokenIds])).toEqual([
      [OTHER, ['a', 'b']],
      [COLLECTION, ['1', '2', '3']],
    ]);
  });

  it('sends the oldest overdue collection before a fuller, newer one', async () => {
    const r = fakeRun({ budget: { ...fixed, limit: 2 }, maxBatchSize: 100 }, { maxDelayMs: 1_000 });
    await r.scheduler.enqueue(OTHER, ['b1']);
    r.clock.set(r.clock.now() + 2_000);
    await r.scheduler.enqueue(COLLECTION, ids(300));
    await r.drain();
    expect(ofType(r.events, 'batchSent')[0]?.collectionAddress).toBe(OTHER);
  });

  it('an id enqueued while its batch is being followed is pending again, and sent again', async () => {
    const r = fakeRun({ budget: fixed, pollsUntilDone: 3 }, { maxDelayMs: 0 });
    await r.scheduler.enqueue(COLLECTION, ['a', 'b']);
    let again: Promise<void> | undefined;
    r.listen((e) => {
      if (e.type === 'batchSent' && !again) again = r.scheduler.enqueue(COLLECTION, ['a']);
    });
    await r.drain();
    await again;
    expect(r.target.sends().map((s) => s.tokenIds)).toEqual([['a', 'b'], ['a']]);
    // One final event per send that carried it.
    expect(
      r
        .finals()
        .get('a')
        ?.map((e) => e.type),
    ).toEqual(['tokenSucceeded', 'tokenSucceeded']);
    expect(r.finals().get('b')).toHaveLength(1);
  });
});

describe('ids a request cannot carry', () => {
  it('a transient read failure is retried up to retry.attempts, a permanent one ends at once', async () => {
    const r = fakeRun(
      {
        budget: { kind: 'learned', limit: 100, windowMs: HOUR },
        settled: true,
        unsendable: (id, reads) => {
          if (id === 'flaky' && reads < 3)
            return { errorCode: 'unable_to_retrieve_metadata', transient: true };
          if (id === 'down') return { errorCode: 'unable_to_retrieve_metadata', transient: true };
          if (id === 'big') return { errorCode: 'metadata_too_large', transient: false };
          return undefined;
        },
      },
      { retry: { attempts: 3 }, maxDelayMs: 0 },
    );
    await r.scheduler.enqueue(COLLECTION, ['ok', 'flaky', 'down', 'big']);
    await r.drain();
    const finals = r.finals();
    expect([...finals.values()].every((f) => f.length === 1)).toBe(true);
    const outcome = (id: string) => {
      const e = finals.get(id)?.[0];
      return e?.type === 'tokenFailed' ? `${e.errorCode}/${e.attempts}` : e?.type;
    };
    expect(['ok', 'flaky', 'down', 'big'].map(outcome)).toEqual([
      'tokenSucceeded',
      'tokenSucceeded',
      'unable_to_retrieve_metadata/3',
      'metadata_too_large/1',
    ]);
    expect(ofType(r.events, 'tokenRetried').map((e) => `${e.tokenId}/${e.attempts}`)).toEqual([
      'flaky/1',
      'down/1',
      'flaky/2',
      'down/2',
    ]);
    // Never sent: no request carried the ids that could not be read.
    expect(r.target.sends().flatMap((s) => s.tokenIds)).not.toContain('big');
    expect(r.target.sends().flatMap((s) => s.tokenIds)).not.toContain('down');
  });

  it('ids that did not fit a request go back to pending with their read, and are not read again', async () => {
    const r = fakeRun(
      { budget: { kind: 'learned', limit: 100, windowMs: HOUR }, settled: true, fit: 4 },
      { maxDelayMs: 0 },
    );
    await r.scheduler.enqueue(COLLECTION, ids(10));
    await r.drain();
    expect(r.target.sends().map((s) => s.tokenIds.length)).toEqual([4, 4, 2]);
    const reads = r.target.calls.flatMap((c) => (c.method === 'prepare' ? c.read : []));
    expect(reads.sort()).toEqual(ids(10).sort());
    expect(r.finals().size).toBe(10);
  });

  it('a deferred id enqueued again is read again (its kept read is stale)', async () => {
    const r = fakeRun(
      { budget: { kind: 'learned', limit: 100, windowMs: HOUR }, settled: true, fit: 2 },
      { maxDelayMs: 0 },
    );
    await r.scheduler.enqueue(COLLECTION, ['a', 'b', 'c']);
    // 'c' was read with the first batch and deferred; the game changes it and enqueues it.
    let again: Promise<void> | undefined;
    r.listen((e) => {
      if (e.type === 'batchSent' && !again) again = r.scheduler.enqueue(COLLECTION, ['c']);
    });
    await r.drain();
    await again;
    expect(r.target.sends().map((s) => s.tokenIds)).toEqual([['a', 'b'], ['c']]);
    const reads = r.target.calls.flatMap((c) => (c.method === 'prepare' ? c.read : []));
    expect(reads.filter((id) => id === 'c')).toHaveLength(2);
    expect(reads.filter((id) => id === 'a')).toHaveLength(1);
  });
});
