/**
 * Token ids `.` and `..` everywhere the reference engine takes one, and the Metadata API URLs the
 * worker builds: no token id can make it fetch anything but its own segment under the base URL.
 */
import { request as httpRequest } from 'node:http';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { imxAuthHeaders } from '../../src/index.js';
import {
  createReferenceServer,
  createRefreshService,
  type FetchMetadata,
  type ReferenceServer,
} from '../../src/server/index.js';
import { tokenIdProblem } from '../../src/wire/token-id.js';
import { COLLECTION, createTestClock, OWNER, PRIVATE_KEY } from '../support/fixtures.js';

const START = Date.parse('2022-09-06T02:30:00Z');
const BASE = 'http://metadata.test/api/metadata';
const DOT_IDS = ['.', '..'];

const running: ReferenceServer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

function recordingFetch() {
  const urls: string[] = [];
  const fetchMetadata: FetchMetadata = async ({ url }) => {
    urls.push(url);
    return { status: 200, body: '{"name":"x"}' };
  };
  return { urls, fetchMetadata };
}

/** A GET with the path sent as is: `fetch` would resolve `%2E%2E` before sending it. */
function rawGet(url: string, path: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}/`, { path }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body: JSON.parse(Buffer.concat(chunks).toString()),
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

async function startServer() {
  const clock = createTestClock(START);
  const recorder = recordingFetch();
  const server = createReferenceServer({
    owner: OWNER,
    clock,
    collections: [{ address: COLLECTION, metadataApiUrl: BASE }],
    fetchMetadata: recorder.fetchMetadata,
  });
  running.push(server);
  const { url } = await server.listen();
  const post = async (tokenIds: string[]) => {
    const response = await fetch(`${url}/v1/metadata-refreshes`, {
      method: 'POST',
      headers: {
        ...(await imxAuthHeaders(PRIVATE_KEY, { timestamp: Math.floor(clock.now() / 1000) })),
        'content-type': 'application/json',
      },
      body: JSON.stringify({ collection_address: COLLECTION, token_ids: tokenIds }),
    });
    return { status: response.status, headers: response.headers, body: await response.json() };
  };
  return { server, url, post, urls: recorder.urls };
}

describe('the POST body', () => {
  it.each(DOT_IDS)('refuses %j with 400, spending nothing and fetching nothing', async (id) => {
    const s = await startServer();
    const refused = await s.post(['1', id]);
    expect(refused.status).toBe(400);
    expect(refused.body).toEqual({
      code: 'bad_request',
      message: 'token_ids must not hold "." or ".."',
    });
    await s.server.service.settled();
    expect(s.urls).toEqual([]);
    const accepted = await s.post(['1', '...', '.a']);
    expect(accepted.status).toBe(202);
    expect(accepted.headers.get('x-imx-remaining-refreshes')).toBe('9');
    await s.server.service.settled();
    expect(s.urls.sort()).toEqual([`${BASE}/...`, `${BASE}/.a`, `${BASE}/1`]);
  });
});

describe('the public assets endpoint', () => {
  it.each([
    ['%2E%2E', '..'],
    ['%2e', '.'],
    ['..', '..'],
  ])('answers 400 for the token id %s, never serving a parent', async (segment) => {
    const s = await startServer();
    await s.post(['1']);
    await s.server.service.settled();
    expect((await rawGet(s.url, `/v1/assets/${COLLECTION}/1`)).status).toBe(200);
    const answer = await rawGet(s.url, `/v1/assets/${COLLECTION}/${segment}`);
    expect(answer).toEqual({
      status: 400,
      body: { code: 'bad_request', message: 'The token id must not be "." or ".."' },
    });
  });
});

describe('the engine controls', () => {
  const service = () =>
    createRefreshService({
      collections: [{ address: COLLECTION, metadataApiUrl: BASE, tokenIds: ['1'] }],
      fetchMetadata: recordingFetch().fetchMetadata,
    });

  it.each(DOT_IDS)('seedRefresh refuses %j in every list, storing nothing', (id) => {
    const s = service();
    const refreshId = 'seeded';
    for (const seed of [
      { succeeded: [id] },
      { failed: [{ tokenId: id }] },
      { pending: ['1', id] },
    ]) {
      expect(() => s.seedRefresh({ collectionAddress: COLLECTION, refreshId, ...seed })).toThrow(
        /seedRefresh: token id .* must not be "\." or "\.\."/,
      );
      expect(s.getRefresh(refreshId)).toBeUndefined();
    }
  });

  it.each(DOT_IDS)('addTokens refuses %j and adds none of the batch', async (id) => {
    const s = service();
    expect(() => s.addTokens(COLLECTION, ['2', id])).toThrow(/addTokens: token id/);
    const headers = await imxAuthHeaders(PRIVATE_KEY);
    await s.handle({
      method: 'POST',
      path: '/v1/metadata-refreshes',
      headers,
      body: JSON.stringify({ collection_address: COLLECTION, token_ids: ['2'] }),
    });
    await s.settled();
    expect(s.getTokenMetadata(COLLECTION, '2')).toBeUndefined();
  });

  it('refuses "." and ".." in configured tokenIds, and a base URL with a query or fragment', () => {
    const make = (metadataApiUrl: string, tokenIds?: string[]) => () =>
      createRefreshService({
        collections: [{ address: COLLECTION, metadataApiUrl, tokenIds }],
        fetchMetadata: recordingFetch().fetchMetadata,
      });
    expect(make(BASE, ['1', '..'])).toThrow(/must not be "\." or "\.\."/);
    expect(make(`${BASE}?key=1`)).toThrow(/query or fragment/);
    expect(make(`${BASE}#top`)).toThrow(/query or fragment/);
    expect(make('metadata/relative')).toThrow(/absolute URL/);
    expect(make(`${BASE}/`)).not.toThrow();
  });
});

describe('the URLs the worker fetches', () => {
  it('keep every accepted token id as exactly one segment under the base URL', async () => {
    const recorder = recordingFetch();
    const s = createRefreshService({
      collections: [{ address: COLLECTION, metadataApiUrl: `${BASE}/` }],
      limits: { refreshesPerHour: 1_000_000 },
      fetchMetadata: recorder.fetchMetadata,
    });
    const headers = await imxAuthHeaders(PRIVATE_KEY);
    const piece = fc.constantFrom(
      '.',
      '..',
      '/',
      '\\',
      '?',
      '#',
      '%',
      '%2e',
      '%2E%2E',
      ' ',
      '\t',
      '@',
      ':',
    );
    const tokenId = fc
      .array(
        fc.oneof(piece, fc.string({ maxLength: 3 }), fc.string({ unit: 'binary', maxLength: 2 })),
        {
          minLength: 1,
          maxLength: 5,
        },
      )
      .map((parts) => parts.join(''));
    await fc.assert(
      fc.asyncProperty(tokenId, async (id) => {
        recorder.urls.length = 0;
        const response = await s.handle({
          method: 'POST',
          path: '/v1/metadata-refreshes',
          headers,
          body: JSON.stringify({ collection_address: COLLECTION, token_ids: [id] }),
        });
        if (tokenIdProblem(id) !== undefined) {
          expect(response.status).toBe(400);
          return;
        }
        expect(response.status).toBe(202);
        await s.settled();
        const [fetched] = recorder.urls;
        const url = new URL(fetched as string);
        expect(url.origin).toBe('http://metadata.test');
        expect(url.search).toBe('');
        expect(url.hash).toBe('');
        const prefix = '/api/metadata/';
        expect(url.pathname.startsWith(prefix)).toBe(true);
        const segment = url.pathname.slice(prefix.length);
        expect(segment).not.toContain('/');
        expect(decodeURIComponent(segment)).toBe(id);
      }),
      { numRuns: 500 },
    );
    await s.stop();
  });
});
