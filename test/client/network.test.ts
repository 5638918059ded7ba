import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createNetServer, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  ConnectionError,
  MetadataRefreshClient,
  RateLimitError,
  TimeoutError,
  verifyImxSignature,
} from '../../src/index.js';
import { freePort, listen } from '../../src/server/loopback.js';
import {
  COLLECTION,
  createTestClock,
  OWNER,
  PRIVATE_KEY,
  REFRESH_ID,
  rateLimitHeaders,
  refreshWire,
  type TestClock,
} from '../support/fixtures.js';
import { type SeenRequest, useLoopback } from '../support/loopback.js';

const REFRESHES = '/v1/metadata-refreshes';

type Handler = (
  req: IncomingMessage,
  res: ServerResponse,
  seen: SeenRequest,
  index: number,
) => void;

interface TestServer {
  port: number;
  requests: SeenRequest[];
}

const loopback = useLoopback();

const startServer = (handler: Handler, port?: number): Promise<TestServer> =>
  loopback.recording((res, seen, index, req) => handler(req, res, seen, index), port);

function json(res: ServerResponse, status: number, body: unknown, headers = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function makeClient(
  port: number,
  options: { maxRetries?: number; clock?: TestClock; timeoutMs?: number } = {},
) {
  const clock = options.clock ?? createTestClock();
  const client = new MetadataRefreshClient({
    signer: PRIVATE_KEY,
    baseURL: `http://127.0.0.1:${port}`,
    clock,
    // Generous, so a loaded machine never turns a refusal or reset into a timeout; the timeout
    // tests pass 50 against servers that never answer.
    timeoutMs: options.timeoutMs ?? 10_000,
    maxRetries: options.maxRetries ?? 2,
  });
  return { client, clock };
}

function post(client: MetadataRefreshClient) {
  return client.requestRefresh({ collectionAddress: COLLECTION, tokenIds: ['1', '2'] });
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to reject');
}

function expectSigned(seen: SeenRequest) {
  const address = seen.headers['x-imx-eth-address'];
  const signature = seen.headers['x-imx-eth-signature'];
  const timestamp = seen.headers['x-imx-eth-timestamp'];
  expect(address).toBe(OWNER);
  expect(timestamp).toMatch(/^\d+$/);
  expect(
    verifyImxSignature({
      address: String(address),
      signature: String(signature),
      timestamp: String(timestamp),
    }),
  ).toBe(true);
}

function expectBackoff(sleeps: number[]) {
  sleeps.forEach((ms, retry) => {
    const base = Math.min(500 * 2 ** retry, 8000);
    expect(ms).toBeGreaterThanOrEqual(base * 0.75);
    expect(ms).toBeLessThanOrEqual(base);
  });
}

describe('connection refused', () => {
  it('POST is retried, then throws ConnectionError ECONNREFUSED with nothingSent', async () => {
    const { client, clock } = makeClient(await freePort(), { maxRetries: 3 });
    const error = await rejection(post(client));
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error).toMatchObject({ code: 'ECONNREFUSED', nothingSent: true });
    expect(clock.sleeps).toHaveLength(3);
    expectBackoff(clock.sleeps);
  });

  it('GET is retried, then throws ConnectionError ECONNREFUSED', async () => {
    const { client, clock } = makeClient(await freePort(), { maxRetries: 2 });
    const error = await rejection(client.getRefresh(REFRESH_ID));
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error).toMatchObject({ code: 'ECONNREFUSED', nothingSent: true });
    expect(clock.sleeps).toHaveLength(2);
  });

  it('maxRetries 0 makes a single attempt', async () => {
    const { client, clock } = makeClient(await freePort(), { maxRetries: 0 });
    await expect(post(client)).rejects.toBeInstanceOf(ConnectionError);
    expect(clock.sleeps).toEqual([]);
  });

  it('POST refused first succeeds once the server is up, sending exactly one POST', async () => {
    const port = await freePort();
    const clock = createTestClock();
    const sleep = clock.sleep;
    let server: TestServer | undefined;
    clock.sleep = async (ms, signal) => {
      await sleep(ms, signal);
      server ??= await startServer(
        (_req, res) => json(res, 202, { refresh_id: REFRESH_ID }, rateLimitHeaders('service', 9)),
        port,
      );
    };
    const { client } = makeClient(port, { maxRetries: 3, clock });
    const result = await post(client);
    expect(result.refreshId).toBe(REFRESH_ID);
    expect(clock.sleeps).toHaveLength(1);
    expect(server?.requests.map((r) => r.method)).toEqual(['POST']);
    const seen = server?.requests[0] as SeenRequest;
    expectSigned(seen);
    expect(seen.headers['x-imx-eth-timestamp']).toBe(String(Math.floor(clock.now() / 1000)));
    expect(JSON.parse(seen.body)).toEqual({
      collection_address: COLLECTION,
      token_ids: ['1', '2'],
    });
  });
});

describe('connection reset after the request was read', () => {
  const reset: Handler = (req) => req.socket.destroy();

  it('POST is not retried: ConnectionError with nothingSent false, one request seen', async () => {
    const server = await startServer(reset);
    const { client, clock } = makeClient(server.port, { maxRetries: 5 });
    const error = await rejection(post(client));
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error).toMatchObject({ code: 'ECONNRESET', nothingSent: false });
    expect(server.requests).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
  });

  it('GET is retried maxRetries times, each attempt signed', async () => {
    const server = await startServer(reset);
    const { client, clock } = makeClient(server.port, { maxRetries: 5 });
    const error = await rejection(client.getRefresh(REFRESH_ID));
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error).toMatchObject({ code: 'ECONNRESET', nothingSent: false });
    expect(server.requests).toHaveLength(6);
    expect(clock.sleeps).toHaveLength(5);
    expectBackoff(clock.sleeps);
    for (const seen of server.requests) {
      expect(seen).toMatchObject({ method: 'GET', url: `${REFRESHES}/${REFRESH_ID}` });
      expectSigned(seen);
    }
    const stamps = server.requests.map((r) => Number(r.headers['x-imx-eth-timestamp']));
    expect(stamps).toEqual([...stamps].sort((a, b) => a - b));
    expect(stamps.at(-1)).toBeGreaterThan(stamps[0] as number);
  });

  it('a raw TCP server that reads the request then closes is not retried for POST', async () => {
    const chunks: string[] = [];
    const sockets = new Set<Socket>();
    const server = createNetServer((socket) => {
      sockets.add(socket);
      socket.once('data', (data) => {
        chunks.push(data.toString('utf8'));
        socket.destroy();
      });
    });
    const { port } = await listen(server);
    const { client, clock } = makeClient(port, { maxRetries: 5 });
    const error = await rejection(post(client)).finally(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    });
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error).toMatchObject({ nothingSent: false });
    expect(chunks).toHaveLength(1);
    expect(chunks[0]).toMatch(/^POST \/v1\/metadata-refreshes HTTP\/1\.1\r\n/);
    expect(clock.sleeps).toEqual([]);
  });

  it('GET is retried when the connection breaks mid-response, then succeeds', async () => {
    const body = JSON.stringify(refreshWire('service'));
    const server = await startServer((_req, res, _seen, index) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
      if (index === 0) {
        res.write(body.slice(0, 10));
        res.socket?.destroy();
        return;
      }
      res.end(body);
    });
    const { client, clock } = makeClient(server.port, { maxRetries: 2 });
    await expect(client.getRefresh(REFRESH_ID)).resolves.toMatchObject({
      refreshId: REFRESH_ID,
      status: 'completed',
    });
    expect(server.requests).toHaveLength(2);
    expect(clock.sleeps).toHaveLength(1);
  });
});

describe('timeouts', () => {
  const hang: Handler = () => {};

  it('POST times out once and is not retried', async () => {
    const server = await startServer(hang);
    const { client, clock } = makeClient(server.port, { maxRetries: 3, timeoutMs: 50 });
    const error = await rejection(post(client));
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as Error).message).toMatch(/50 ms/);
    expect(server.requests).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
  });

  it('GET times out on every attempt, then throws TimeoutError', async () => {
    const server = await startServer(hang);
    const { client, clock } = makeClient(server.port, { maxRetries: 3, timeoutMs: 50 });
    const error = await rejection(client.getRefresh(REFRESH_ID));
    expect(error).toBeInstanceOf(TimeoutError);
    expect(server.requests).toHaveLength(4);
    expect(clock.sleeps).toHaveLength(3);
    for (const seen of server.requests) expectSigned(seen);
  });

  it('GET that hangs once and then answers resolves', async () => {
    const server = await startServer((_req, res, _seen, index) => {
      if (index > 0) json(res, 200, refreshWire('service'));
    });
    // Long enough for the answering attempt on a loaded machine; the hanging one waits it out.
    const { client, clock } = makeClient(server.port, { maxRetries: 2, timeoutMs: 1_000 });
    await expect(client.getRefresh(REFRESH_ID)).resolves.toEqual({
      refreshId: REFRESH_ID,
      status: 'completed',
      collectionAddress: COLLECTION,
      startedAt: '2022-08-31T01:59:59.806449Z',
      completedAt: '2022-08-31T02:00:09.786143Z',
      summary: { succeeded: 2, failed: 0, pending: 0 },
    });
    expect(server.requests).toHaveLength(2);
    expect(clock.sleeps).toHaveLength(1);
  });
});

describe('real responses', () => {
  it('a 202 updates client.rateLimit from the x-imx headers', async () => {
    const resetSeconds = Date.parse('2022-09-06T03:00:00Z') / 1000;
    const server = await startServer((_req, res) =>
      json(
        res,
        202,
        { refresh_id: REFRESH_ID },
        {
          'x-imx-refreshes-limit': '10',
          'x-imx-remaining-refreshes': '9',
          'x-imx-refresh-limit-reset': String(resetSeconds),
        },
      ),
    );
    const { client } = makeClient(server.port);
    expect(client.rateLimit).toBeUndefined();
    const result = await post(client);
    const rateLimit = { limit: 10, remaining: 9, resetAt: new Date(resetSeconds * 1000) };
    expect(result).toEqual({ refreshId: REFRESH_ID, rateLimit });
    expect(client.rateLimit).toEqual(rateLimit);
  });

  it('a 429 is not retried for POST and still updates client.rateLimit', async () => {
    const server = await startServer((_req, res) =>
      json(
        res,
        429,
        { code: 'refresh_limit_exceeded', message: 'limit reached' },
        rateLimitHeaders('service', 0),
      ),
    );
    const { client, clock } = makeClient(server.port, { maxRetries: 3 });
    const error = await rejection(post(client));
    expect(error).toBeInstanceOf(RateLimitError);
    expect(server.requests).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
    expect(client.rateLimit).toEqual({
      limit: 10,
      remaining: 0,
      resetAt: new Date('2022-09-06T03:00:00Z'),
    });
  });

  it('sends signed headers on every request and the JSON body on the POST', async () => {
    const server = await startServer((req, res) => {
      if (req.method === 'POST') json(res, 202, { refresh_id: REFRESH_ID });
      else json(res, 200, refreshWire('service'));
    });
    const { client, clock } = makeClient(server.port);
    await post(client);
    await client.getRefresh(REFRESH_ID);
    const [postSeen, getSeen] = server.requests as [SeenRequest, SeenRequest];
    expect(server.requests).toHaveLength(2);
    const timestamp = String(Math.floor(clock.now() / 1000));
    for (const seen of [postSeen, getSeen]) {
      expectSigned(seen);
      expect(seen.headers['x-imx-eth-timestamp']).toBe(timestamp);
      expect(seen.headers.accept).toBe('application/json');
    }
    expect(postSeen).toMatchObject({ method: 'POST', url: REFRESHES });
    expect(postSeen.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(postSeen.body)).toEqual({
      collection_address: COLLECTION,
      token_ids: ['1', '2'],
    });
    expect(getSeen).toMatchObject({ method: 'GET', url: `${REFRESHES}/${REFRESH_ID}`, body: '' });
  });
});
