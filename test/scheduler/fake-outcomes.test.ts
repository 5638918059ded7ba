/**
 * What becomes of a send, through a fake target on the injected clock: uncertain sends are
 * reconciled (never resent blindly), refused ones end once, unsent ones go again, and every
 * enqueued id reaches exactly one final event per send that carried it.
 */
import { describe, expect, it } from 'vitest';
import { COLLECTION, fakeRun, HOUR, ids, ofType } from './fake-harness.js';
import type { SendAnswer } from './fake-target.js';

const fixed = { kind: 'fixed', limit: 10, windowMs: HOUR } as const;

/** Every id ended exactly once, and successfully. */
function allSucceededOnce(r: ReturnType<typeof fakeRun>, n: number) {
  const finals = r.finals();
  expect(finals.size).toBe(n);
  expect([...finals.values()].every((f) => f.length === 1 && f[0]?.type === 'tokenSucceeded')).toBe(
    true,
  );
}

describe('an uncertain send (Immutable X: the refresh it created is looked for)', () => {
  it('adopts the refresh a timed-out send created, at the first check, instead of sending again', async () => {
    const r = fakeRun(
      { budget: fixed, answers: [{ kind: 'timeout', landed: true }] },
      { maxDelayMs: 0 },
    );
    await r.scheduler.enqueue(COLLECTION, ids(5));
    const t0 = r.clock.now();
    await r.drain();
    expect(r.target.sends().map((s) => s.outcome)).toEqual(['timeout']);
    const types = r.events.map((e) => e.type);
    expect(types.indexOf('batchUncertain')).toBeLessThan(types.indexOf('batchReconciled'));
    const [reconciled] = ofType(r.events, 'batchReconciled');
    expect(reconciled).toMatchObject({ accepted: true, refreshId: 'refresh-1', tokenIds: ids(5) });
    expect(reconciled?.at).toBe(t0 + 2_000);
    allSucceededOnce(r, 5);
    expect(ofType(r.events, 'tokenSucceeded')[0]?.refreshId).toBe('refresh-1');
    // The one accepted request is the only one counted.
    expect((await r.scheduler.stats()).budget.used).toBe(1);
  });

  it('adopts after a connection broke mid-request', async () => {
    const r = fakeRun(
      { budget: fixed, answers: [{ kind: 'connectionReset', landed: true }] },
      { maxDelayMs: 0 },
    );
    await r.scheduler.enqueue(COLLECTION, ids(2));
    await r.drain();
    expect(r.target.sends()).toHaveLength(1);
    allSucceededOnce(r, 2);
  });

  it('sends again only after every check found nothing (a 502 from a proxy), spending a new slot', async () => {
    const r = fakeRun(
      { budget: fixed, answers: [{ kind: 'status', status: 502, landed: false }] },
      { maxDelayMs: 0 },
    );
    await r.scheduler.enqueue(COLLECTION, ids(4));
    const t0 = r.clock.now();
    await r.drain();
    expect(r.target.sends().map((s) => s.outcome)).toEqual(['status 502', 'accepted']);
    const checks = r.target.calls.filter((c) => c.method === 'reconcile').map((c) => c.at - t0);
    expect(checks).toEqual([2_000, 5_000, 15_000]);
    const [reconciled] = ofType(r.events, 'batchReconciled');
    expect(reconciled).toMatchObject({ accepted: false, refreshId: undefined });
    expect(reconciled?.at).toBe(t0 + 15_000);
    expect(r.target.sends()[1]?.at).toBeGreaterThanOrEqual(t0 + 15_000);
    allSucceededOnce(r, 4);
    // Both requests spent budget: the failed one may have been counted by the server.
    expect((await r.scheduler.stats()).budget.used).toBe(2);
  });

  it('follows checkAfterMs as configured', async () => {
    const r = fakeRun(
      { budget: fixed, answers: [{ kind: 'timeout', landed: false }] },
      { maxDelayMs: 0, reconcile: { checkAfterMs: [100, 700] } },
    );
    await r.scheduler.enqueue(COLLECTION, ['1']);
    const t0 = r.clock.now();
    await r.drain();
    const checks = r.target.calls.filter((c) => c.method === 'reconcile').map((c) => c.at - t0);
    expect(checks).toEqual([100, 700]);
  });

  it('a check that cannot read the API proves nothing: it is tried again, the batch stays leased', async () => {
    const r = fakeRun(
      { budget: fixed, answers: [{ kind: 'timeout', landed: true }], reconcileErrors: 2 },
      { maxDelayMs: 0 },
    );
    await r.scheduler.enqueue(COLLECTION, ['1', '2']);
    r.scheduler.start();
    // While the checks fail, the ids are neither pending nor sent again.
    let inFlightDuringErrors: number | undefined;
    r.listen((e) => {
      if (e.type === 'error' && inFlightDuringErrors === undefined) {
        void r.scheduler.stats().then((s) => {
          inFlightDuringErrors ??= s.inFlight;
        });
      }
    });
    await r.scheduler.drained();
    await r.scheduler.stop();
    const outcomes = r.target.calls.filter((c) => c.method === 'reconcile').map((c) => c.outcome);
    expect(outcomes).toEqual(['error', 'error', 'found']);
    expect(inFlightDuringErrors).toBe(2);
    expect(r.target.sends()).toHaveLength(1);
    allSucceededOnce(r, 2);
  });

  it("treats a proxy's 408 as uncertain: the ids are sent again, not failed", async () => {
    const r = fakeRun(
      { budget: fixed, answers: [{ kind: 'status', status: 408 }] },
      { maxDelayMs: 0 },
    );
    await r.scheduler.enqueue(COLLECTION, ['1']);
    await r.drain();
    expect(r.target.sends().map((s) => s.outcome)).toEqual(['status 408', 'accepted']);
    allSucceededOnce(r, 1);
  });
});

describe('an uncertain push (zkEVM: the NFTs are read)', () => {
  const learned = { kind: 'learned', limit: 10, windowMs: HOUR } as const;

  it('is settled without a second push when the API shows it', async () => {
    const r = fakeRun(
      { budget: learned, settled: true, answers: [{ kind: 'timeout', landed: true }] },
      { maxDelayMs: 0 },
    );
    await r.scheduler.enqueue(COLLECTION, ids(5));
    await r.drain();
    expect(ofType(r.events, 'batchUncertain')).toHaveLength(1);
    expect(ofType(r.events, 'batchReconciled')[0]).toMatchObject({
      accepted: true,
      refreshId: undefined,
    });
    expect(r.target.sends()).toHaveLength(1);
    allSucceededOnce(r, 5);
  });

  it('is pushed again, after the checks, when the API does not show it', async () => {
    const r = fakeRun(
      { budget: learned, settled: true, answers: [{ kind: 'timeout', landed: false }] },
      { maxDelayMs: 0 },
    );
    await r.scheduler.enqueue(COLLECTION, ids(5));
    await r.drain();
    expect(ofType(r.events, 'batchReconciled')[0]).toMatchObject({ accepted: false });
    const reconciled = r.events.findIndex((e) => e.type === 'batchReconciled');
    expect(r.events.findIndex((e) => e.type === 'batchSent')).toBeGreaterThan(reconciled);
    expect(r.target.sends()).toHaveLength(2);
    allSucceededOnce(r, 5);
  });
});

describe('a send refused for good, or never sent', () => {
  it.each([
    [403, 'forbidden'],
    [307, 'unknown_error'],
  ])('fails the ids of a %i once, without resending them', async (status, code) => {
    const r = fakeRun(
      {
        budget: fixed,
        answers: [{ kind: 'status', status, code: status === 403 ? code : undefined }],
      },
      { maxDelayMs: 0 },
    );
    await r.scheduler.enqueue(COLLECTION, ['1', '2']);
    await r.drain();
    expect(r.target.sends()).toHaveLength(1);
    expect(
      [...r.finals().values()].map((f) =>
        f.map((e) => e.type === 'tokenFailed' && [e.errorCode, e.attempts]),
      ),
    ).toEqual([[[code, 1]], [[code, 1]]]);
    expect(ofType(r.events, 'error')).toHaveLength(1);
  });

  it('sends again, 5 s later, a request that never left; its slot is given back', async () => {
    const r = fakeRun({ budget: fixed, answers: [{ kind: 'notSent' }] }, { maxDelayMs: 0 });
    await r.scheduler.enqueue(COLLECTION, ['1']);
    const t0 = r.clock.now();
    await r.drain();
    const sends = r.target.sends();
    expect(sends.map((s) => [s.outcome, s.at - t0])).toEqual([
      ['notSent', 0],
      ['accepted', 5_000],
    ]);
    expect((await r.scheduler.stats()).budget.used).toBe(1);
    allSucceededOnce(r, 1);
  });
});

describe('following a sent batch', () => {
  it('polls until the outcome is known, backing off, and retries transient failures up to retry.attempts', async () => {
    const r = fakeRun(
      {
        budget: fixed,
        pollsUntilDone: 2,
        failures: (id, carried) => {
          if (id === 'flaky' && carried < 2)
            return { errorCode: 'unable_to_retrieve_metadata', transient: true };
          if (id === 'down') return { errorCode: 'unable_to_retrieve_metadata', transient: true };
          if (id === 'gone') return { errorCode: 'invalid_response_status_code', transient: false };
          return undefined;
        },
      },
      { maxDelayMs: 0, retry: { attempts: 3 } },
    );
    await r.scheduler.enqueue(COLLECTION, ['ok', 'flaky', 'down', 'gone']);
    const t0 = r.clock.now();
    await r.drain();
    const finals = r.finals();
    expect([...finals.values()].every((f) => f.length === 1)).toBe(true);
    const outcome = (id: string) => {
      const e = finals.get(id)?.[0];
      return e?.type === 'tokenFailed' ? `${e.errorCode}/${e.attempts}` : e?.type;
    };
    expect(['ok', 'flaky', 'down', 'gone'].map(outcome)).toEqual([
      'tokenSucceeded',
      'tokenSucceeded',
      'unable_to_retrieve_metadata/3',
      'invalid_response_status_code/1',
    ]);
    expect(r.target.sends().map((s) => s.tokenIds)).toEqual([
      ['ok', 'flaky', 'down', 'gone'],
      ['flaky', 'down'],
      ['down'],
    ]);
    // The first batch: polled 1 s after the send, then 1.5 s later, then 2.25 s later.
    const polls = r.target.calls.filter((c) => c.method === 'poll' && c.receipt === 'refresh-1');
    expect(polls.map((c) => c.at - t0)).toEqual([1_000, 2_500, 4_750]);
    expect(ofType(r.events, 'refreshCompleted')[0]).toMatchObject({
      refreshId: 'refresh-1',
      summary: { succeeded: 1, failed: 3, pending: 0 },
    });
  });

  it('sends the ids again after five polls in a row find the send gone', async () => {
    const r = fakeRun(
      {
        budget: fixed,
        pollAnswers: ['gone', 'gone', 'pending', 'gone', 'gone', 'gone', 'gone', 'gone'],
      },
      { maxDelayMs: 0 },
    );
    await r.scheduler.enqueue(COLLECTION, ['1']);
    await r.drain();
    // An answer between resets the count: 2 gone, 1 pending, then 5 gone.
    expect(
      r.target.calls
        .filter((c) => c.method === 'poll')
        .map((c) => c.outcome)
        .slice(0, 8),
    ).toEqual(['gone', 'gone', 'pending', 'gone', 'gone', 'gone', 'gone', 'gone']);
    expect(r.target.sends()).toHaveLength(2);
    allSucceededOnce(r, 1);
  });
});

describe('final events', () => {
  const scripts: [string, SendAnswer[]][] = [
    ['all accepted', []],
    ['a 429 first', [{ kind: 'rateLimited' }]],
    ['a timeout that landed', [{ kind: 'timeout', landed: true }]],
    ['a timeout that did not', [{ kind: 'timeout', landed: false }]],
    [
      'a 502, a not-sent, a broken connection that landed',
      [
        { kind: 'status', status: 502 },
        { kind: 'notSent' },
        { kind: 'connectionReset', landed: true },
      ],
    ],
  ];

  it.each(scripts)(
    'every enqueued id reaches exactly one final event: %s',
    async (_name, answers) => {
      const r = fakeRun(
        {
          budget: fixed,
          maxBatchSize: 10,
          answers,
          pollsUntilDone: 1,
          failures: (id, carried) =>
            id.endsWith('7') && carried === 1
              ? { errorCode: 'unable_to_retrieve_metadata', transient: true }
              : undefined,
        },
        { maxDelayMs: 0 },
      );
      await r.scheduler.enqueue(COLLECTION, ids(35));
      await r.drain();
      const finals = r.finals();
      expect([...finals.keys()].sort()).toEqual(ids(35).sort());
      expect(
        [...finals.values()].every((f) => f.length === 1 && f[0]?.type === 'tokenSucceeded'),
      ).toBe(true);
      expect(await r.scheduler.stats()).toMatchObject({ pending: 0, inFlight: 0, following: 0 });
    },
  );
});
