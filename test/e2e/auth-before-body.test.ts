/**
 * The reference server decides auth from headers before reading a body, on real sockets: callers
 * it will refuse get their 401 while their (large, slow) body is still unsent, and the connection
 * is closed rather than drained; an authenticated body over the limit gets 413 without being read.
 */
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { imxAuthHeaders } from '../../src/index.js';
import {
  createReferenceServer,
  MAX_BODY_BYTES,
  type ReferenceServer,
} from '../../src/server/index.js';
import { COLLECTION, createTestClock, OWNER, PRIVATE_KEY } from '../support/fixtures.js';

const START = Date.parse('2022-09-06T02:30:00Z');
const CONNECTIONS = 64;
const FIRST_PART = 16 * 1024;

const running: ReferenceServer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

async function start() {
  const clock = createTestClock(START);
  const server = createReferenceServer({
    owner: OWNER,
    clock,
    fetchMetadata: async () => ({ status: 200, body: '{}' }),
  });
  running.push(server);
  const { url } = await server.listen();
  const { port } = new URL(url);
  const auth = (offsetSeconds = 0) =>
    imxAuthHeaders(PRIVATE_KEY, { timestamp: Math.floor(clock.now() / 1000) + offsetSeconds });
  return { server, port: Number(port), auth };
}

interface Exchange {
  socket: Socket;
  /** Everything the server sent, once it has closed the connection. */
  closed: Promise<string>;
  /** Resolves with the status once a status line has arrived. */
  status: Promise<number>;
}

/** Opens a connection and sends `head`; collects what the server answers until it closes. */
function open(port: number, head: string): Exchange {
  const socket = connect(port, '127.0.0.1');
  // Writing a body the server stopped reading may fail; what the server sent is what counts.
  socket.on('error', () => undefined);
  let text = '';
  let onStatus: (status: number) => void = () => undefined;
  const status = new Promise<number>((resolve) => {
    onStatus = resolve;
  });
  socket.on('data', (chunk: Buffer) => {
    text += chunk.toString('latin1');
    const match = /^HTTP\/1\.1 (\d{3})/.exec(text);
    if (match) onStatus(Number(match[1]));
  });
  const closed = new Promise<string>((resolve) => socket.on('close', () => resolve(text)));
  socket.write(head);
  return { socket, closed, status };
}

function head(headers: Record<string, string>, framing: Record<string, string>): string {
  const lines = Object.entries({
    host: '127.0.0.1',
    'content-type': 'application/json',
    ...headers,
    ...framing,
  });
  return `POST /v1/metadata-refreshes HTTP/1.1\r\n${lines.map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n`;
}

const bodyOf = (text: string) => JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as unknown;

describe('unauthenticated callers with large, slow bodies', () => {
  it(`answers ${CONNECTIONS} connections 401 before their bodies arrive, then closes them`, async () => {
    const s = await start();
    const valid = await s.auth();
    const stale = await s.auth(-301);
    const variants: Record<string, string>[] = [
      {},
      { ...valid, 'x-imx-eth-signature': `0x${'ab'.repeat(65)}` },
      { ...stale },
      { ...valid, 'x-imx-eth-timestamp': 'soon' },
    ];
    const exchanges = Array.from({ length: CONNECTIONS }, (_, i) => {
      const framing: Record<string, string> =
        i % 2 === 0
          ? { 'content-length': String(MAX_BODY_BYTES) }
          : { 'transfer-encoding': 'chunked' };
      const exchange = open(
        s.port,
        head(variants[i % variants.length] as Record<string, string>, framing),
      );
      // A first part of the body, then nothing more: the rest is never sent.
      const part = '{"collection_address":"'.padEnd(FIRST_PART, 'x');
      exchange.socket.write(
        'content-length' in framing ? part : `${part.length.toString(16)}\r\n${part}\r\n`,
      );
      return exchange;
    });
    const answers = await Promise.all(exchanges.map((e) => e.closed));
    for (const text of answers) {
      expect(text).toMatch(/^HTTP\/1\.1 401 /);
      expect(text.toLowerCase()).toContain('connection: close');
      expect(bodyOf(text)).toMatchObject({ code: 'unauthorised_request' });
    }
    // The server still serves, and spent nothing.
    expect(s.server.service.rateLimitHeaders()['x-imx-remaining-refreshes']).toBe('10');
  });
});

describe('authenticated callers over the body limit', () => {
  it('answers 413 on a declared length over the limit before any body byte is sent', async () => {
    const s = await start();
    const exchange = open(
      s.port,
      head(await s.auth(), { 'content-length': String(MAX_BODY_BYTES + 1) }),
    );
    const text = await exchange.closed;
    expect(text).toMatch(/^HTTP\/1\.1 413 /);
    expect(bodyOf(text)).toMatchObject({ code: 'payload_too_large' });
  });

  it('reads a chunked body only to one byte past the limit, answers 413 and closes', async () => {
    const s = await start();
    const exchange = open(s.port, head(await s.auth(), { 'transfer-encoding': 'chunked' }));
    const chunk = 'x'.repeat(64 * 1024);
    let sent = 0;
    let answered = false;
    void exchange.status.then(() => {
      answered = true;
    });
    // Send until the server answers, waiting for the socket to drain between chunks.
    while (!answered && sent < 4 * MAX_BODY_BYTES) {
      const flushed = exchange.socket.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
      sent += chunk.length;
      if (!flushed) await new Promise((r) => exchange.socket.once('drain', r));
      else await new Promise((r) => setImmediate(r));
    }
    expect(await exchange.status).toBe(413);
    expect(await exchange.closed).toMatch(/"code":"payload_too_large"/);
    expect(sent).toBeGreaterThan(MAX_BODY_BYTES);
    expect(sent).toBeLessThan(4 * MAX_BODY_BYTES);
  });
});

describe('authenticated callers within the limit', () => {
  it('reads the body and keeps the connection for the next request', async () => {
    const s = await start();
    const body = JSON.stringify({ collection_address: COLLECTION, token_ids: ['1'] });
    const request = async () =>
      head(await s.auth(), { 'content-length': String(Buffer.byteLength(body)) }) + body;
    const exchange = open(s.port, await request());
    expect(await exchange.status).toBe(202);
    const second = new Promise<string>((resolve) => {
      let text = '';
      exchange.socket.on('data', (chunk: Buffer) => {
        text += chunk.toString('latin1');
        if (/^HTTP\/1\.1 202[\s\S]*\r\n\r\n\{[^}]*\}$/.test(text)) resolve(text);
      });
    });
    exchange.socket.write(await request());
    expect((await second).toLowerCase()).not.toContain('connection: close');
    exchange.socket.destroy();
  });
});
