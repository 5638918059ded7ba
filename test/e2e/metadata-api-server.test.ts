/** The Metadata API server of ./server, over real sockets: each kind of answer and each count. */
import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type MetadataApiServer,
  type MetadataApiServerOptions,
  startMetadataApiServer,
} from '../../src/server/index.js';

let api: MetadataApiServer | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

async function start(options?: MetadataApiServerOptions): Promise<MetadataApiServer> {
  api = await startMetadataApiServer(options);
  return api;
}

async function get(url: string) {
  const response = await fetch(url);
  return {
    status: response.status,
    type: response.headers.get('content-type'),
    body: await response.text(),
  };
}

describe('startMetadataApiServer', () => {
  it('serves its metadata as JSON, live from the map it was given, and 404s the rest', async () => {
    const metadata = new Map<string, unknown>([['1', { name: 'Hero 1' }]]);
    const { url } = await start({ metadata });
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metadata$/);
    expect(await get(`${url}/1`)).toEqual({
      status: 200,
      type: 'application/json',
      body: '{"name":"Hero 1"}',
    });
    metadata.set('2', { name: 'Hero 2' });
    expect((await get(`${url}/2?v=1`)).body).toBe('{"name":"Hero 2"}');
    expect(await get(`${url}/3`)).toEqual({
      status: 404,
      type: 'text/plain',
      body: '404 page not found\n',
    });
  });

  it('answers a token as told, per attempt when a handler chooses, and counts every request', async () => {
    const server = await start({
      metadata: { a: { name: 'A' } },
      answers: {
        a: { status: 503, body: 'busy' },
        'b c': { json: [1], body: 'ignored', headers: { 'x-kind': 'array' } },
      },
      fallback: ({ tokenId, attempt }) => ({ body: `${tokenId} #${attempt}` }),
    });
    expect(await get(`${server.url}/a`)).toEqual({ status: 503, type: 'text/plain', body: 'busy' });
    server.answer('a', undefined);
    expect((await get(`${server.url}/a`)).body).toBe('{"name":"A"}');
    const response = await fetch(`${server.url}/b%20c`);
    expect(response.headers.get('x-kind')).toBe('array');
    expect(await response.text()).toBe('[1]');
    expect((await get(`${server.url}/x`)).body).toBe('x #1');
    expect((await get(`${server.url}/x`)).body).toBe('x #2');
    server.answer('x', { body: 'malformed {', contentType: 'application/json' });
    expect(await get(`${server.url}/x`)).toMatchObject({
      type: 'application/json',
      body: 'malformed {',
    });
    expect([server.hits('a'), server.hits('b c'), server.hits('x'), server.hits('y')]).toEqual([
      2, 1, 3, 0,
    ]);
    expect(server.totalHits).toBe(6);
  });

  it('answers 500 and reports an answer that cannot be sent, instead of crashing or hanging', async () => {
    const errors: string[] = [];
    const { url } = await start({
      answers: {
        throws: () => {
          throw new Error('handler bug');
        },
        status: { status: 99 },
        bigint: { json: { level: 1n } },
        late: { json: { level: 2n }, delayMs: 1 },
        half: {
          respond: (_req, res) => {
            res.writeHead(200).write('{"na');
            throw new Error('respond bug');
          },
        },
      },
      onError: (error, { tokenId, attempt }) =>
        errors.push(`${tokenId}#${attempt}: ${(error as Error).message}`),
    });

    for (const tokenId of ['throws', 'status', 'bigint', 'late']) {
      expect((await get(`${url}/${tokenId}`)).status).toBe(500);
    }
    // The status line was out: the connection is dropped, so the client sees a broken body.
    await expect(fetch(`${url}/half`).then((r) => r.text())).rejects.toThrow();
    expect(errors).toEqual([
      'throws#1: handler bug',
      expect.stringMatching(/^status#1: .*status code/i),
      expect.stringMatching(/^bigint#1: .*BigInt/),
      expect.stringMatching(/^late#1: .*BigInt/),
      'half#1: respond bug',
    ]);
  });

  it('delays an answer by delayMs, and resets a connection', async () => {
    const { url } = await start({
      answers: { slow: { json: { name: 'Late' }, delayMs: 150 }, gone: { reset: true } },
    });
    const started = performance.now();
    expect((await get(`${url}/slow`)).body).toBe('{"name":"Late"}');
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    await expect(fetch(`${url}/gone`)).rejects.toThrow();
  });

  it('drips an endless body, or floods one as fast as it is read, counting the bytes sent', async () => {
    const server = await start({
      answers: {
        drip: { body: '{"name":"', contentType: 'application/json', endless: { everyMs: 10 } },
        flood: { status: 500, body: 'error ', endless: {} },
      },
    });
    const read = async (tokenId: string, bytes: number) => {
      const controller = new AbortController();
      const response = await fetch(`${server.url}/${tokenId}`, { signal: controller.signal });
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      let text = '';
      while (text.length < bytes) {
        const { value } = await reader.read();
        text += Buffer.from(value as Uint8Array).toString();
      }
      controller.abort();
      return { status: response.status, text };
    };
    const drip = await read('drip', 14);
    expect(drip.text).toMatch(/^\{"name":"a{5,}$/);
    const flood = await read('flood', 2 * 1024 * 1024);
    expect(flood.status).toBe(500);
    expect(flood.text).toMatch(/^error a+$/);
    expect(server.bytesSent).toBeGreaterThan(2 * 1024 * 1024);
  });

  it('counts the most requests held open at once; respond answers by hand', async () => {
    const held: ServerResponse[] = [];
    const server = await start({
      fallback: {
        // Holds every request until the fourth arrives, then answers them all.
        respond: (_req, res) => {
          held.push(res);
          if (held.length === 4) for (const r of held) r.end('done');
        },
      },
    });
    const bodies = await Promise.all(['1', '2', '3', '4'].map((id) => get(`${server.url}/${id}`)));
    expect(bodies.map((b) => b.body)).toEqual(['done', 'done', 'done', 'done']);
    expect(server.maxOpen).toBe(4);
  });

  it('close() drops answers still delayed or never coming, and frees the port', async () => {
    const server = await start({
      answers: { late: { json: {}, delayMs: 60_000 }, never: { respond: () => {} } },
    });
    const pending = [fetch(`${server.url}/late`), fetch(`${server.url}/never`)];
    while (server.totalHits < 2) await new Promise((resolve) => setTimeout(resolve, 10));
    await server.close();
    const settled = await Promise.allSettled(pending);
    expect(settled.map((result) => result.status)).toEqual(['rejected', 'rejected']);
    await expect(fetch(`${server.url}/1`)).rejects.toThrow();
  });
});
