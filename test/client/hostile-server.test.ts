/**
 * The client against servers that misbehave on purpose, on real sockets on 127.0.0.1: what an
 * error keeps (never a credential), redirects (never followed), huge bodies (capped), transient
 * statuses and failures that are not the network's.
 */
import type { ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import axios, { type AxiosInstance } from 'axios';
import { describe, expect, it } from 'vitest';
import {
  ApiError,
  ConnectionError,
  DEFAULT_MAX_RESPONSE_BYTES,
  MetadataRefreshClient,
  MetadataRefreshError,
  RedirectError,
  ResponseTooLargeError,
  TimeoutError,
} from '../../src/index.js';
import { everyRendering, rejection } from '../support/errors.js';
import {
  COLLECTION,
  createTestClock,
  PRIVATE_KEY,
  REFRESH_ID,
  refreshWire,
} from '../support/fixtures.js';
import { type SeenRequest, useLoopback } from '../support/loopback.js';

const REFRESHES = '/v1/metadata-refreshes';
// What a zkEVM client will send through the same transport: must never reach an error either.
const API_KEY = 'sk_imapik-test-Zq8Xr3dT0pSecretKeyValue';

const hostile = useLoopback().recording;

function json(res: ServerResponse, status: number, body: unknown, headers = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** A caller's instance whose interceptor adds an API key, as a zkEVM caller's would. */
function instanceWithApiKey(): AxiosInstance {
  const instance = axios.create();
  instance.interceptors.request.use((config) => {
    config.headers.set('x-immutable-api-key', API_KEY);
    return config;
  });
  return instance;
}

function client(
  url: string,
  options: Partial<ConstructorParameters<typeof MetadataRefreshClient>[0]> = {},
) {
  const clock = createTestClock();
  return {
    clock,
    client: new MetadataRefreshClient({
      signer: PRIVATE_KEY,
      baseURL: url,
      clock,
      // Generous: only the tests against a server that never answers may time out.
      timeoutMs: 10_000,
      maxRetries: 0,
      ...options,
    }),
  };
}

function post(c: MetadataRefreshClient) {
  return c.requestRefresh({ collectionAddress: COLLECTION, tokenIds: ['1', '2'] });
}

function expectNoCredential(error: Error, requests: SeenRequest[]) {
  const text = everyRendering(error);
  expect(requests.length).toBeGreaterThan(0);
  for (const seen of requests) {
    const signature = String(seen.headers['x-imx-eth-signature']);
    expect(signature).toMatch(/^0x[0-9a-f]{130}$/);
    expect(text).not.toContain(signature);
    expect(text).not.toContain(signature.slice(2, 40));
    expect(seen.headers['x-immutable-api-key']).toBe(API_KEY);
  }
  expect(text).not.toContain(API_KEY);
  expect(text).not.toContain(PRIVATE_KEY.slice(2));
  expect(text.toLowerCase()).not.toContain('x-imx-eth-signature');
  expect(text.toLowerCase()).not.toContain('x-immutable-api-key');
}

describe('errors never carry request headers, signatures or keys', () => {
  it('ConnectionError (reset after the request was read) keeps method, path and code only', async () => {
    const server = await hostile((res) => res.socket?.destroy());
    const { client: c } = client(server.url, { axiosInstance: instanceWithApiKey() });
    const error = await rejection(post(c));
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error).toMatchObject({
      code: 'ECONNRESET',
      nothingSent: false,
      method: 'POST',
      path: REFRESHES,
    });
    expectNoCredential(error, server.requests);
  });

  it('TimeoutError keeps method and path only', async () => {
    const server = await hostile(() => {});
    const { client: c } = client(server.url, {
      axiosInstance: instanceWithApiKey(),
      timeoutMs: 50,
    });
    const error = await rejection(c.getRefresh(REFRESH_ID));
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ method: 'GET', path: `${REFRESHES}/${REFRESH_ID}` });
    expectNoCredential(error, server.requests);
  });

  it('ApiError keeps the response headers, nothing of the request', async () => {
    const server = await hostile((res) =>
      json(res, 500, { code: 'boom', message: 'no' }, { 'x-request-id': 'abc' }),
    );
    const { client: c } = client(server.url, { axiosInstance: instanceWithApiKey() });
    const error = await rejection(post(c));
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 500, method: 'POST', path: REFRESHES });
    expect((error as ApiError).headers['x-request-id']).toBe('abc');
    expectNoCredential(error, server.requests);
  });

  it('RedirectError and ResponseTooLargeError neither', async () => {
    const redirect = await hostile((res) => {
      res.writeHead(307, { location: 'http://elsewhere.test/steal' });
      res.end();
    });
    const big = await hostile((res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(`"${'x'.repeat(2048)}"`);
    });
    const redirected = await rejection(
      post(client(redirect.url, { axiosInstance: instanceWithApiKey() }).client),
    );
    expect(redirected).toBeInstanceOf(RedirectError);
    expectNoCredential(redirected, redirect.requests);
    const tooLarge = await rejection(
      client(big.url, {
        axiosInstance: instanceWithApiKey(),
        maxResponseBytes: 1024,
      }).client.getRefresh(REFRESH_ID),
    );
    expect(tooLarge).toBeInstanceOf(ResponseTooLargeError);
    expectNoCredential(tooLarge, big.requests);
  });
});

describe('redirects are never followed, whatever axios instance the caller passes', () => {
  async function trap() {
    const elsewhere = await hostile((res) => json(res, 202, { refresh_id: 'attacker-id' }));
    const api = await hostile((res, seen) => {
      res.writeHead(seen.method === 'POST' ? 307 : 302, {
        location: `${elsewhere.url}${seen.url}`,
      });
      res.end();
    });
    return { api, elsewhere };
  }

  it.each([
    ['the default instance', undefined],
    ['axios.create() (follows 21 redirects by default)', () => axios.create()],
    ['an instance set to follow redirects', () => axios.create({ maxRedirects: 10 })],
    [
      // Interceptors see the merged config: this one undoes maxRedirects: 0, and only the
      // throwing beforeRedirect is left to stop the redirect.
      'an interceptor that turns redirects back on',
      () => {
        const instance = axios.create();
        instance.interceptors.request.use((config) => {
          config.maxRedirects = 5;
          return config;
        });
        return instance;
      },
    ],
  ])('%s: a 307 on the POST throws RedirectError; the other host gets nothing', async (_, make) => {
    const { api, elsewhere } = await trap();
    const { client: c } = client(api.url, { axiosInstance: make?.(), maxRetries: 3 });
    const error = await rejection(post(c));
    expect(error).toBeInstanceOf(RedirectError);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({
      status: 307,
      locationHost: `127.0.0.1:${elsewhere.port}`,
      method: 'POST',
      path: REFRESHES,
    });
    expect(api.requests).toHaveLength(1);
    expect(elsewhere.requests).toEqual([]);
  });

  it('a 302 on a GET is not retried and not followed', async () => {
    const { api, elsewhere } = await trap();
    const { client: c, clock } = client(api.url, {
      axiosInstance: axios.create(),
      maxRetries: 3,
    });
    const error = await rejection(c.getRefresh(REFRESH_ID));
    expect(error).toBeInstanceOf(RedirectError);
    expect(error).toMatchObject({ status: 302 });
    expect(api.requests).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
    expect(elsewhere.requests).toEqual([]);
  });

  it('requestRefreshes counts a redirected POST as uncertain (a 303 means it was created)', async () => {
    const api = await hostile((res) => {
      res.writeHead(303, { location: '/v1/metadata-refreshes/some-id' });
      res.end();
    });
    const { client: c } = client(api.url);
    const error = await rejection(
      c.requestRefreshes({ collectionAddress: COLLECTION, tokenIds: ['1', '2'] }),
    );
    expect(error).toBeInstanceOf(RedirectError);
    expect(error).toMatchObject({
      progress: { operation: 'requestRefreshes', uncertain: ['1', '2'], notSent: [], accepted: [] },
    });
  });
});

describe('response bodies are capped', () => {
  /** Writes 64 KiB chunks for ever, as fast as the client reads them; counts what it wrote. */
  async function endless(status: number) {
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    const state = { written: 0, writtenAtRejection: 0 };
    const server = await hostile((res) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.write('"');
      const pump = () => {
        while (!res.destroyed && res.write(chunk)) state.written += chunk.length;
        if (!res.destroyed) state.written += chunk.length;
      };
      res.on('drain', pump);
      pump();
    });
    return { server, state };
  }

  it('an endless 200 body ends in ResponseTooLargeError at the default cap, promptly', async () => {
    const { server, state } = await endless(200);
    const { client: c } = client(server.url, { timeoutMs: 20_000, maxRetries: 2 });
    const rssBefore = process.memoryUsage().rss;
    const error = await rejection(c.getRefresh(REFRESH_ID));
    state.writtenAtRejection = state.written;
    const rssGrowth = process.memoryUsage().rss - rssBefore;
    expect(error).toBeInstanceOf(ResponseTooLargeError);
    expect(error).toMatchObject({
      maxResponseBytes: DEFAULT_MAX_RESPONSE_BYTES,
      method: 'GET',
      path: `${REFRESHES}/${REFRESH_ID}`,
    });
    // Not retried: the same request would get the same body.
    expect(server.requests).toHaveLength(1);
    // The server got no further than the cap plus what loopback socket buffers hold.
    expect(state.writtenAtRejection).toBeLessThan(DEFAULT_MAX_RESPONSE_BYTES + 32 * 1024 * 1024);
    expect(rssGrowth).toBeLessThan(128 * 1024 * 1024);
  });

  it('an endless 500 body on the POST ends in ResponseTooLargeError, counted as uncertain', async () => {
    const { server, state } = await endless(500);
    const { client: c } = client(server.url, {
      timeoutMs: 20_000,
      maxResponseBytes: 64 * 1024,
    });
    const error = await rejection(
      c.requestRefreshes({ collectionAddress: COLLECTION, tokenIds: ['1', '2'] }),
    );
    expect(error).toBeInstanceOf(ResponseTooLargeError);
    expect(error).toMatchObject({
      maxResponseBytes: 64 * 1024,
      progress: { uncertain: ['1', '2'] },
    });
    expect(server.requests).toHaveLength(1);
    expect(state.written).toBeLessThan(64 * 1024 + 32 * 1024 * 1024);
  });

  it('the cap counts bytes after decompression: a gzip bomb is stopped too', async () => {
    const bomb = gzipSync(Buffer.alloc(16 * 1024 * 1024, 0x20));
    const server = await hostile((res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      res.end(bomb);
    });
    expect(bomb.length).toBeLessThan(64 * 1024);
    const { client: c } = client(server.url, { maxResponseBytes: 1024 * 1024 });
    const error = await rejection(c.getRefresh(REFRESH_ID));
    expect(error).toBeInstanceOf(ResponseTooLargeError);
  });

  it('a body just under the cap is read normally', async () => {
    const body = JSON.stringify(refreshWire('service'));
    const server = await hostile((res) => json(res, 200, refreshWire('service')));
    const { client: c } = client(server.url, { maxResponseBytes: Buffer.byteLength(body) });
    await expect(c.getRefresh(REFRESH_ID)).resolves.toMatchObject({ refreshId: REFRESH_ID });
  });
});

describe('transient statuses', () => {
  it("retries a GET after a proxy's 408, like a 5xx", async () => {
    const server = await hostile((res, _seen, index) => {
      if (index === 0) json(res, 408, { message: 'request timeout' });
      else json(res, 200, refreshWire('service'));
    });
    const { client: c, clock } = client(server.url, { maxRetries: 2 });
    await expect(c.getRefresh(REFRESH_ID)).resolves.toMatchObject({ refreshId: REFRESH_ID });
    expect(server.requests).toHaveLength(2);
    expect(clock.sleeps).toHaveLength(1);
  });

  it('a 408 on the POST is an ApiError 408, not retried, and uncertain in requestRefreshes', async () => {
    const server = await hostile((res) => json(res, 408, { message: 'request timeout' }));
    const { client: c, clock } = client(server.url, { maxRetries: 3 });
    const error = await rejection(
      c.requestRefreshes({ collectionAddress: COLLECTION, tokenIds: ['1', '2'] }),
    );
    expect(error.constructor).toBe(ApiError);
    expect(error).toMatchObject({ status: 408, progress: { uncertain: ['1', '2'], notSent: [] } });
    expect(server.requests).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
  });
});

describe('a failure that is not the network', () => {
  it("a caller's interceptor throwing a TypeError is a MetadataRefreshError, not retried", async () => {
    const server = await hostile((res) => json(res, 200, refreshWire('service')));
    const instance = axios.create();
    let calls = 0;
    instance.interceptors.request.use((config) => {
      calls++;
      config.headers.set('x-immutable-api-key', API_KEY);
      (undefined as unknown as { bug(): void }).bug();
      return config;
    });
    const { client: c, clock } = client(server.url, { axiosInstance: instance, maxRetries: 3 });
    const error = await rejection(c.getRefresh(REFRESH_ID));
    expect(error).toBeInstanceOf(MetadataRefreshError);
    expect(error).not.toBeInstanceOf(ConnectionError);
    expect(error.message).toMatch(/interceptor or adapter threw TypeError.*not a network error/);
    expect(error.cause).toMatchObject({ name: 'TypeError' });
    expect(calls).toBe(1);
    expect(clock.sleeps).toEqual([]);
    expect(server.requests).toEqual([]);
    expect(everyRendering(error)).not.toContain(API_KEY);
  });
});
