/**
 * The readings of `retry-after` through the node:http reference servers (a loopback socket, the
 * engine's time injected): the adapters pass `limits` through and add no rule of their own.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  createCombinedReferenceServer,
  createZkEvmReferenceServer,
} from '../../../src/server/index.js';
import { OWNER } from '../../support/fixtures.js';
import { item, KEY, manualClock, paths } from './harness.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

async function push(url: string) {
  const response = await fetch(`${url}${paths.refreshNfts()}`, {
    method: 'POST',
    headers: { 'x-immutable-api-key': KEY, 'content-type': 'application/json' },
    body: JSON.stringify({ nft_metadata: [item('1')] }),
  });
  const body = (await response.json()) as { retry_after?: string };
  return {
    status: response.status,
    remaining: response.headers.get('imx-remaining-refreshes'),
    retryAfter: response.headers.get('retry-after'),
    bodyRetryAfter: body.retry_after,
  };
}

describe('retry-after through the node:http reference server', () => {
  it('pacing: a 202 carries the spacing, a push inside it is a 429 that spends nothing', async () => {
    const clock = manualClock();
    const server = createZkEvmReferenceServer({
      apiKey: KEY,
      clock,
      limits: { refreshesPerHour: 3, windowMs: 60_000, retryAfter: 'pacing' },
    });
    const { url } = await server.listen(0);
    closers.push(() => server.close());
    expect(await push(url)).toEqual({
      status: 202,
      remaining: '2',
      retryAfter: '20',
      bodyRetryAfter: '20.00-seconds',
    });
    clock.advance(19_001);
    expect(await push(url)).toMatchObject({ status: 429, remaining: '2', retryAfter: '1' });
    clock.advance(999);
    expect(await push(url)).toMatchObject({ status: 202, remaining: '1', retryAfter: '20' });
  });

  it('window (the default) on the combined server: the time to the reset while pushes remain', async () => {
    const clock = manualClock();
    const server = createCombinedReferenceServer({
      imx: { owner: OWNER, collections: [] },
      zkevm: { apiKey: KEY, clock, limits: { refreshesPerHour: 2, windowMs: 60_000 } },
    });
    const { url } = await server.listen(0);
    closers.push(() => server.close());
    expect(await push(url)).toMatchObject({ status: 202, remaining: '1', retryAfter: '60' });
    clock.advance(500);
    expect(await push(url)).toMatchObject({ status: 202, remaining: '0', retryAfter: '60' });
    expect(await push(url)).toMatchObject({ status: 429, remaining: '0', retryAfter: '60' });
  });
});
