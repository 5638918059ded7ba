/**
 * ZkEvmMetadataClient against servers that misbehave on purpose, on real sockets on 127.0.0.1:
 * the api key never reaches an error (however it is logged, even when the server echoes it),
 * redirects are never followed, bodies are capped, a push is retried at most once.
 */
import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import {
  ConnectionError,
  MetadataRefreshError,
  RedirectError,
  ResponseTooLargeError,
  ResponseValidationError,
  TimeoutError,
  ZkEvmMetadataClient,
  type ZkEvmMetadataClientOptions,
} from '../../src/index.js';
import { everyRendering, rejection } from '../support/errors.js';
import { createTestClock } from '../support/fixtures.js';
import { closedPortUrl, type SeenRequest, useLoopback } from '../support/loopback.js';

// Not imported from ../support/zkevm-engine.ts: that would start the shared msw server, which
// intercepts every request, and these tests need real sockets.
const CONTRACT = '0x8a90cab2b38dba80c64b7734e58ee1db38b8992e';
const ZK_CHAIN = 'imtbl-zkevm-testnet';
const API_KEY = 'sk_imapik-hostile-9vQ2mX7pL0aSecretKeyValue';
const PUSH_PATH = `/v1/chains/${ZK_CHAIN}/collections/${CONTRACT}/nfts/refresh-metadata`;

const hostile = useLoopback().recording;

function json(res: ServerResponse, status: number, body: unknown, headers = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function client(url: string, options: Partial<ZkEvmMetadataClientOptions> = {}) {
  return new ZkEvmMetadataClient({
    apiKey: API_KEY,
    baseURL: url,
    chainName: ZK_CHAIN,
    clock: createTestClock(),
    timeoutMs: 10_000,
    maxRetries: 0,
    ...options,
  });
}

const push = (zk: ZkEvmMetadataClient) =>
  zk.refreshNftMetadata({ contractAddress: CONTRACT, nfts: [{ tokenId: '1', name: 'a' }] });

/** `echoed`: the server sent the request's headers back, so their names may appear; never the key. */
function expectNoKey(error: Error, requests: SeenRequest[], { echoed = false } = {}) {
  expect(error).toBeInstanceOf(MetadataRefreshError);
  expect(requests.length).toBeGreaterThan(0);
  for (const seen of requests) expect(seen.headers['x-immutable-api-key']).toBe(API_KEY);
  const text = everyRendering(error);
  expect(text).not.toContain(API_KEY);
  expect(text).not.toContain(API_KEY.slice('sk_imapik-'.length));
  if (!echoed) expect(text.toLowerCase()).not.toContain('x-immutable-api-key');
}

describe('the api key never reaches an error', () => {
  it('a connection reset after the request was read', async () => {
    const server = await hostile((res) => res.socket?.destroy());
    const error = await rejection(push(client(server.url)));
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error).toMatchObject({ nothingSent: false, method: 'POST', path: PUSH_PATH });
    expectNoKey(error, server.requests);
  });

  it('a timeout, and the push is retried once only', async () => {
    const server = await hostile(() => {});
    const error = await rejection(push(client(server.url, { timeoutMs: 100, maxRetries: 5 })));
    expect(error).toBeInstanceOf(TimeoutError);
    expect(server.requests).toHaveLength(2);
    expectNoKey(error, server.requests);
  });

  it('a server that echoes the key in its error body and headers', async () => {
    const server = await hostile((res, seen) =>
      json(
        res,
        401,
        {
          message: `bad key ${String(seen.headers['x-immutable-api-key'])}`,
          link: 'https://docs.test',
          trace_id: 't-1',
          code: 'UNAUTHORISED_REQUEST',
          details: { headers: seen.headers },
        },
        { 'x-echo': String(seen.headers['x-immutable-api-key']) },
      ),
    );
    const seenHeaders: string[] = [];
    const zk = client(server.url, { onResponse: (info) => seenHeaders.push(JSON.stringify(info)) });
    const error = await rejection(push(zk));
    expect(error).toMatchObject({ status: 401, code: 'UNAUTHORISED_REQUEST', traceId: 't-1' });
    expect(error.message).toContain('[redacted]');
    expectNoKey(error, server.requests, { echoed: true });
    expect(seenHeaders.join('\n')).not.toContain(API_KEY);
  });

  it('a GET answered with a body in the wrong shape that echoes the key', async () => {
    const server = await hostile((res, seen) =>
      json(res, 200, { result: { echoed: seen.headers } }),
    );
    const error = await rejection(
      client(server.url).getNft({ contractAddress: CONTRACT, tokenId: '1' }),
    );
    expect(error).toBeInstanceOf(ResponseValidationError);
    expectNoKey(error, server.requests, { echoed: true });
  });
});

describe('redirects and bodies', () => {
  it('a redirect is refused: the other host never sees the key or the body', async () => {
    const elsewhere = await hostile((res) => json(res, 202, {}));
    const server = await hostile((res) => {
      res.writeHead(307, { location: `${elsewhere.url}${PUSH_PATH}` });
      res.end();
    });
    const error = await rejection(push(client(server.url, { maxRetries: 2 })));
    expect(error).toBeInstanceOf(RedirectError);
    expect(error).toMatchObject({ status: 307, locationHost: new URL(elsewhere.url).host });
    expect(elsewhere.requests).toEqual([]);
    expect(server.requests).toHaveLength(1);
    expectNoKey(error, server.requests);
  });

  it('a body over maxResponseBytes is cut off and the push is not retried', async () => {
    const server = await hostile((res) => {
      res.writeHead(202, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ pad: 'x'.repeat(200_000) }));
    });
    const error = await rejection(
      push(client(server.url, { maxResponseBytes: 10_000, maxRetries: 2 })),
    );
    expect(error).toBeInstanceOf(ResponseTooLargeError);
    expect(server.requests).toHaveLength(1);
    expectNoKey(error, server.requests);
  });

  it('a refused connection proves nothing was sent: retried', async () => {
    const zk = client(await closedPortUrl(), { maxRetries: 2 });
    const error = await rejection(push(zk));
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error).toMatchObject({ code: 'ECONNREFUSED', nothingSent: true });
    expect(everyRendering(error)).not.toContain(API_KEY);
  });
});
