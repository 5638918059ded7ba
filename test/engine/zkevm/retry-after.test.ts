/**
 * The two readings of `retry-after` on a 202 (`limits.retryAfter`): the time to the reset
 * (`window`, the default) or the spacing between pushes (`pacing`). Time moves only when told.
 */
import { describe, expect, it } from 'vitest';
import type { ServiceResponse } from '../../../src/engine/types.js';
import type { ZkEvmLimits } from '../../../src/engine/zkevm/types.js';
import { InvalidOptionError } from '../../../src/errors.js';
import { errorOf, item, KEY, paths, START, setup } from './harness.js';

const one = { nft_metadata: [item('1')] };

/** The budget as an answer carries it: the headers, and the 202 body's copy. */
function budgetOf(response: ServiceResponse) {
  const body = response.body as { retry_after?: string };
  return {
    status: response.status,
    remaining: response.headers['imx-remaining-refreshes'],
    retryAfter: response.headers['retry-after'],
    bodyRetryAfter: body.retry_after,
  };
}

function setupWith(limits: ZkEvmLimits) {
  const t = setup({ limits });
  return { ...t, push: async () => budgetOf(await t.post(paths.refreshNfts(), one)) };
}

describe("retry-after: 'window' (the default)", () => {
  it('sends the time to the reset on every 202, in whole seconds up and in the body form', async () => {
    const { push, clock } = setupWith({ refreshesPerHour: 5 });
    expect(await push()).toEqual({
      status: 202,
      remaining: '4',
      retryAfter: '3600',
      bodyRetryAfter: '3600.00-seconds',
    });
    clock.advance(1_234);
    expect(await push()).toEqual({
      status: 202,
      remaining: '3',
      retryAfter: '3599',
      bodyRetryAfter: '3598.77-seconds',
    });
  });

  it('accepts a push while any remain, whatever retry-after said', async () => {
    const { push, service } = setupWith({ refreshesPerHour: 3, windowMs: 60_000 });
    const answers = [await push(), await push(), await push()];
    expect(answers.map((a) => [a.status, a.remaining, a.retryAfter])).toEqual([
      [202, '2', '60'],
      [202, '1', '60'],
      [202, '0', '60'],
    ]);
    expect(service.pendingPushes()).toBe(3);
  });

  it('says in budget() that a push is accepted now, and what retry-after an answer carries', async () => {
    const { push, clock, service } = setupWith({ refreshesPerHour: 2, windowMs: 60_000 });
    await push();
    clock.advance(10_000);
    expect(service.budget()).toEqual({
      limit: 2,
      remaining: 1,
      resetAtMs: START + 60_000,
      retryAfterMs: 50_000,
      waitMs: 0,
    });
  });
});

describe("retry-after: 'pacing'", () => {
  it('spaces pushes windowMs / refreshesPerHour apart by default', async () => {
    const { push, clock, service } = setupWith({
      refreshesPerHour: 4,
      windowMs: 60_000,
      retryAfter: 'pacing',
    });
    expect(await push()).toEqual({
      status: 202,
      remaining: '3',
      retryAfter: '15',
      bodyRetryAfter: '15.00-seconds',
    });
    clock.advance(10_000);
    expect(service.budget()).toMatchObject({ remaining: 3, retryAfterMs: 5_000, waitMs: 5_000 });
    clock.advance(5_000);
    expect(await push()).toMatchObject({ status: 202, remaining: '2', retryAfter: '15' });
  });

  it('refuses a push inside the spacing with a 429 carrying the time left, at no cost', async () => {
    const { post, clock, service } = setup({
      limits: { refreshesPerHour: 4, windowMs: 60_000, retryAfter: 'pacing', pacingMs: 2_500 },
      // Pushes stay pending through the test, so a refused one would show.
      syncDelayMs: 60_000,
    });
    const accepted = await post(paths.refreshNfts(), one);
    expect(budgetOf(accepted)).toMatchObject({ retryAfter: '3', bodyRetryAfter: '2.50-seconds' });
    clock.advance(1_000);
    const refused = await post(paths.refreshNfts(), one);
    expect(refused.status).toBe(429);
    expect(refused.headers).toEqual({
      'imx-refreshes-limit': '4',
      'imx-remaining-refreshes': '3',
      'imx-refresh-limit-reset': accepted.headers['imx-refresh-limit-reset'],
      'retry-after': '2',
    });
    expect(errorOf(refused)).toMatchObject({
      code: 'TOO_MANY_REQUESTS_ERROR',
      message: 'Too many metadata refreshes: wait before the next one',
      details: { retry_after_seconds: 2 },
    });
    expect(service.budget().remaining).toBe(3);
    expect(service.pendingPushes()).toBe(1);
    clock.advance(1_500);
    expect(budgetOf(await post(paths.refreshNfts(), one))).toMatchObject({
      status: 202,
      remaining: '2',
    });
  });

  it('ends the spacing with its window: a new window takes its first push at once', async () => {
    const { push, clock } = setupWith({
      refreshesPerHour: 10,
      windowMs: 10_000,
      retryAfter: 'pacing',
      pacingMs: 8_000,
    });
    await push();
    clock.advance(8_000);
    expect(await push()).toMatchObject({ status: 202, retryAfter: '2' });
    clock.advance(2_000);
    expect(await push()).toMatchObject({ status: 202, remaining: '9', retryAfter: '8' });
  });

  it('accepts one of many pushes at the same instant', async () => {
    const { service } = setup({ limits: { refreshesPerHour: 7, retryAfter: 'pacing' } });
    const request = {
      method: 'POST',
      path: paths.refreshNfts(),
      headers: { 'x-immutable-api-key': KEY },
      body: JSON.stringify(one),
    };
    const answers = await Promise.all(Array.from({ length: 5 }, () => service.handle(request)));
    expect(answers.map((a) => a.status).sort()).toEqual([202, 429, 429, 429, 429]);
  });
});

describe.each(['window', 'pacing'] as const)("retry-after: '%s', the last push", (retryAfter) => {
  it('carries the time to the reset, as does the 429 after it', async () => {
    const { push, post, clock, service } = setupWith({
      refreshesPerHour: 2,
      windowMs: 60_000,
      retryAfter,
      ...(retryAfter === 'pacing' ? { pacingMs: 10_000 } : {}),
    });
    await push();
    clock.advance(10_000);
    expect(await push()).toEqual({
      status: 202,
      remaining: '0',
      retryAfter: '50',
      bodyRetryAfter: '50.00-seconds',
    });
    clock.advance(20_500);
    expect(service.budget()).toMatchObject({ remaining: 0, retryAfterMs: 29_500, waitMs: 29_500 });
    const refused = await post(paths.refreshNfts(), one);
    expect(refused.status).toBe(429);
    expect(refused.headers).toMatchObject({ 'imx-remaining-refreshes': '0', 'retry-after': '30' });
    expect(errorOf(refused).message).toBe(
      'Too many metadata refreshes: wait for the window to reset',
    );
    clock.advance(29_500);
    expect(await push()).toMatchObject({ status: 202, remaining: '1' });
  });

  it('a window emptied by the test control answers 429 with the time to the reset', async () => {
    const { post, service } = setup({ limits: { retryAfter } });
    service.setRemainingRefreshes(0);
    const refused = await post(paths.refreshNfts(), one);
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe('3600');
  });
});

describe('limits.retryAfter and limits.pacingMs: validation', () => {
  it('refuses a reading that is not window or pacing', () => {
    expect(() => setup({ limits: { retryAfter: 'sometimes' as never } })).toThrow(
      new InvalidOptionError("createZkEvmService: limits.retryAfter must be 'window' or 'pacing'", {
        owner: 'createZkEvmService',
        option: 'limits.retryAfter',
      }),
    );
  });

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '10' as unknown as number])(
    'refuses pacingMs %s',
    (pacingMs) => {
      expect(() => setup({ limits: { retryAfter: 'pacing', pacingMs } })).toThrow(
        /^createZkEvmService: limits\.pacingMs must be a positive integer, got /,
      );
    },
  );

  it('refuses pacingMs without pacing: it would do nothing', () => {
    for (const limits of [
      { pacingMs: 1_000 },
      { retryAfter: 'window' as const, pacingMs: 1_000 },
    ]) {
      expect(() => setup({ limits })).toThrow(InvalidOptionError);
    }
  });

  it('rounds the default spacing up to whole ms', async () => {
    const { push } = setupWith({ refreshesPerHour: 7, windowMs: 10_000, retryAfter: 'pacing' });
    expect(await push()).toMatchObject({ retryAfter: '2', bodyRetryAfter: '1.43-seconds' });
  });
});
