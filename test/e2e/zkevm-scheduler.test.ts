/**
 * The zkEVM scheduler end to end over loopback: the zkEVM reference server with a short window,
 * a Metadata API over HTTP read by metadataApiSource, thousands of ids and repeated level-ups,
 * and a Metadata API that fails in each of the three ways the Immutable X service recorded.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  metadataApiSource,
  RefreshScheduler,
  type SchedulerEvent,
  ZkEvmMetadataClient,
  zkEvmTarget,
} from '../../src/index.js';
import {
  createZkEvmReferenceServer,
  startMetadataApiServer,
  type ZkEvmReferenceServer,
} from '../../src/server/index.js';

const CONTRACT = '0x8a90cab2b38dba80c64b7734e58ee1db38b8992e';
const API_KEY = 'sk_imapik-test-e2e-scheduler-key-000000';
const WINDOW_MS = 2_000;
const LIMIT = 6;

let closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.reverse()) await close();
  closers = [];
});

async function platform(): Promise<{
  server: ZkEvmReferenceServer;
  zk: ZkEvmMetadataClient;
  statuses: number[];
}> {
  const server = createZkEvmReferenceServer({
    apiKey: API_KEY,
    collections: [{ address: CONTRACT }],
    limits: { refreshesPerHour: LIMIT, windowMs: WINDOW_MS },
    syncDelayMs: 50,
  });
  const { url } = await server.listen();
  closers.push(() => server.close());
  const statuses: number[] = [];
  const zk = new ZkEvmMetadataClient({
    apiKey: API_KEY,
    baseURL: url,
    chainName: 'imtbl-zkevm-testnet',
    onResponse: (r) => {
      if (r.method === 'POST') statuses.push(r.status);
    },
  });
  return { server, zk, statuses };
}

describe('RefreshScheduler → zkEVM reference server, over HTTP', () => {
  it('pushes the latest metadata of 2000 ids through level-ups, every push full, no 429; failing tokens end with their codes', async () => {
    const { server, zk, statuses } = await platform();
    const level = new Map<string, number>();
    // The three ways a Metadata API fails: no answer in time, a 404, a body that is not JSON.
    const api = await startMetadataApiServer({
      answers: {
        '5001': { respond: () => {} },
        '5002': { status: 404, body: 'no such hero' },
        '5003': { body: '<html>oops</html>', contentType: 'text/html' },
      },
      fallback: ({ tokenId }) => ({
        json: {
          name: `Hero #${tokenId}`,
          attributes: [{ trait_type: 'Level', value: level.get(tokenId) ?? 1 }],
        },
      }),
    });
    closers.push(() => api.close());

    const events: SchedulerEvent[] = [];
    const scheduler = new RefreshScheduler({
      target: zkEvmTarget({
        client: zk,
        metadata: metadataApiSource({ baseUrl: api.url, timeoutMs: 1_500 }),
      }),
      budget: { windowMs: WINDOW_MS },
      maxDelayMs: 100,
      windowGuardMs: 100,
      retry: { attempts: 2 },
      onEvent: (e) => events.push(e),
    });
    const ids = Array.from({ length: 2_000 }, (_, i) => String(i + 1));
    await scheduler.enqueue(CONTRACT, [...ids, '5001', '5002', '5003']);
    scheduler.start();
    closers.push(async () => {
      await scheduler.stop();
    });
    // Level-ups while the backlog is being pushed.
    for (let round = 2; round <= 3; round++) {
      await new Promise((resolve) => setTimeout(resolve, 300));
      const levelled = ids.filter((id) => Number(id) % 97 === round);
      for (const id of levelled) level.set(id, round);
      await scheduler.enqueue(CONTRACT, levelled);
    }
    await scheduler.drained();
    await server.service.settled();

    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.every((s) => s === 202)).toBe(true);
    const sent = events.flatMap((e) => (e.type === 'batchSent' ? [e.tokenIds.length] : []));
    // The first 8 pushes carry the 2000-id backlog: each full.
    expect(sent.slice(0, 8)).toEqual(Array(8).fill(250));
    for (const id of ['1', '2', '99', '196', '2000']) {
      expect(server.service.nft(CONTRACT, id)?.attributes?.[0]?.value, `hero ${id}`).toBe(
        level.get(id) ?? 1,
      );
    }
    const failed = new Map(
      events.flatMap((e) => (e.type === 'tokenFailed' ? [[e.tokenId, e.errorCode]] : [])),
    );
    expect(Object.fromEntries(failed)).toEqual({
      '5001': 'unable_to_retrieve_metadata',
      '5002': 'invalid_response_status_code',
      '5003': 'unable_to_decode_response',
    });
    for (const id of ['5001', '5002', '5003']) {
      expect(server.service.nft(CONTRACT, id)?.metadataSyncedAt ?? null).toBeNull();
    }
    // Every healthy id succeeded.
    const succeeded = new Set(
      events.flatMap((e) => (e.type === 'tokenSucceeded' ? [e.tokenId] : [])),
    );
    expect(succeeded.size).toBe(2_000);
  });
});

describe('metadataApiSource over HTTP', () => {
  it('reads at most `concurrency` tokens at once, never follows a redirect, and caps the body', async () => {
    const api = await startMetadataApiServer({
      answers: {
        redirect: { status: 302, body: 'moved' },
        huge: { json: { name: 'x'.repeat(5_000) } },
      },
      fallback: ({ tokenId }) => ({ json: { name: `Hero ${tokenId}` }, delayMs: 20 }),
    });
    closers.push(() => api.close());
    const read = metadataApiSource({ baseUrl: api.url, concurrency: 4, maxBytes: 1_000 });
    const ids = Array.from({ length: 40 }, (_, i) => String(i + 1));
    const out = await read(CONTRACT, [...ids, 'redirect', 'huge'], {
      signal: new AbortController().signal,
    });
    expect(api.maxOpen).toBeLessThanOrEqual(4);
    expect(out.get('7')).toMatchObject({ name: 'Hero 7', image: null, attributes: null });
    expect(out.get('redirect')).toMatchObject({
      errorCode: 'invalid_response_status_code',
      statusCode: 302,
      transient: false,
    });
    expect(out.get('huge')).toMatchObject({ errorCode: 'unable_to_decode_response' });
  });
});
