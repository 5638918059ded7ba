/**
 * A bug in the engine is reported to `onError` (by default a stderr line without headers) and
 * answered 500; a client that goes away mid-body is not a bug and is reported nowhere.
 */
import { connect } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { imxAuthHeaders } from '../../src/index.js';
import {
  type CombinedReferenceServer,
  createCombinedReferenceServer,
  createReferenceServer,
  type ReferenceServer,
  type ReferenceServerOptions,
  type ServiceErrorContext,
} from '../../src/server/index.js';
import { COLLECTION, OWNER, PRIVATE_KEY } from '../support/fixtures.js';

const running: (ReferenceServer | CombinedReferenceServer)[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(running.splice(0).map((s) => s.close()));
});

async function start(options: Partial<ReferenceServerOptions> = {}) {
  const server = createReferenceServer({
    owner: OWNER,
    fetchMetadata: async () => ({ status: 200, body: '{}' }),
    ...options,
  });
  running.push(server);
  const { url } = await server.listen();
  return { server, url };
}

const BUG = new Error('a bug in generateId');
const failingIds = () => {
  throw BUG;
};

async function postRefresh(url: string, headers: Record<string, string>) {
  return fetch(`${url}/v1/metadata-refreshes?page_size=1`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify({ collection_address: COLLECTION, token_ids: ['1'] }),
  });
}

describe('onError', () => {
  it('is told of a bug in handle, with method and path, and the caller gets a 500', async () => {
    const reports: [unknown, ServiceErrorContext][] = [];
    const { url } = await start({
      generateId: failingIds,
      onError: (error, context) => reports.push([error, context]),
    });
    const response = await postRefresh(url, await imxAuthHeaders(PRIVATE_KEY));
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({
      code: 'internal_server_error',
      message: 'Internal server error',
    });
    expect(reports).toEqual([
      [BUG, { source: 'request', method: 'POST', path: '/v1/metadata-refreshes' }],
    ]);
  });

  it('is told of a bug in a worker slot', async () => {
    const reports: [unknown, ServiceErrorContext][] = [];
    let broken = false;
    const { server, url } = await start({
      clock: {
        now: () => {
          if (broken) throw BUG;
          return Date.now();
        },
      },
      fetchMetadata: async () => {
        broken = true;
        return { status: 200, body: '{}' };
      },
      onError: (error, context) => reports.push([error, context]),
    });
    expect((await postRefresh(url, await imxAuthHeaders(PRIVATE_KEY))).status).toBe(202);
    await server.service.settled();
    expect(reports).toEqual([[BUG, { source: 'worker' }]]);
  });

  it('by default writes one stderr line naming the route, never a header value', async () => {
    const written: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    const { url } = await start({ generateId: failingIds });
    const headers = await imxAuthHeaders(PRIVATE_KEY);
    expect((await postRefresh(url, headers)).status).toBe(500);
    vi.restoreAllMocks();
    const text = written.join('');
    expect(text).toContain('internal error in POST /v1/metadata-refreshes:');
    expect(text).toContain('a bug in generateId');
    expect(text).not.toContain('page_size');
    for (const value of Object.values(headers)) expect(text).not.toContain(value);
    expect(text.toLowerCase()).not.toContain(OWNER.toLowerCase());
  });

  it('is not told of a client that goes away mid-body, and the server carries on', async () => {
    const onError = vi.fn();
    const { url } = await start({ onError });
    const headers = await imxAuthHeaders(PRIVATE_KEY);
    const { port } = new URL(url);
    const socket = connect(Number(port), '127.0.0.1');
    socket.on('error', () => undefined);
    const lines = Object.entries({ ...headers, host: 'x', 'content-length': '1000' })
      .map(([k, v]) => `${k}: ${v}`)
      .join('\r\n');
    await new Promise<void>((resolve) =>
      socket.write(`POST /v1/metadata-refreshes HTTP/1.1\r\n${lines}\r\n\r\n{"collection_`, () =>
        resolve(),
      ),
    );
    const closed = new Promise((resolve) => socket.on('close', resolve));
    socket.destroy();
    await closed;
    // A few round trips: the server has long seen the close by the time they are answered.
    for (let i = 0; i < 3; i++) {
      const list = await fetch(`${url}/v1/metadata-refreshes`, {
        headers: await imxAuthHeaders(PRIVATE_KEY),
      });
      expect(list.status).toBe(200);
    }
    expect(onError).not.toHaveBeenCalled();
  });

  it('of the combined server is told of a bug in the zkEVM engine too', async () => {
    const reports: [unknown, ServiceErrorContext][] = [];
    const server = createCombinedReferenceServer({
      imx: { fetchMetadata: async () => ({ status: 200, body: '{}' }) },
      zkevm: { apiKey: failingIds },
      onError: (error, context) => reports.push([error, context]),
    });
    running.push(server);
    const { url } = await server.listen();
    const path = `/v1/chains/imtbl-zkevm-testnet/collections/${COLLECTION}/nfts/refresh-metadata`;
    const response = await fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'x-immutable-api-key': 'sk_test', 'content-type': 'application/json' },
      body: JSON.stringify({ nft_metadata: [{ token_id: '1', name: 'Hero' }] }),
    });
    expect(response.status).toBe(500);
    expect(await response.json()).toMatchObject({ code: 'INTERNAL_SERVER_ERROR' });
    expect(reports).toEqual([[BUG, { source: 'request', method: 'POST', path }]]);
  });
});
