import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidRequestError, MetadataRefreshClient, TimeoutError } from '../../src/index.js';
import { PRIVATE_KEY } from '../support/fixtures.js';

let server: Server | undefined;
const open = new Set<ServerResponse>();
const paths: string[] = [];

async function serve(handler: (res: ServerResponse) => void): Promise<string> {
  server = createServer((req, res) => {
    paths.push(req.url ?? '');
    open.add(res);
    handler(res);
  });
  await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterEach(async () => {
  for (const res of open) res.destroy();
  open.clear();
  paths.length = 0;
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  server = undefined;
});

describe('time limits', () => {
  it('timeoutMs bounds the whole attempt, even when the server trickles bytes', async () => {
    const url = await serve((res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const timer = setInterval(() => res.write(' '), 20);
      res.on('close', () => clearInterval(timer));
    });
    const client = new MetadataRefreshClient({
      signer: PRIVATE_KEY,
      baseURL: url,
      timeoutMs: 150,
      maxRetries: 0,
    });
    await client.listRefreshes().catch(() => undefined); // load axios and ethers first
    const started = Date.now();
    await expect(client.getRefresh('r')).rejects.toBeInstanceOf(TimeoutError);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('waitForRefresh gives up near timeoutMs even while a poll hangs', async () => {
    const url = await serve(() => {});
    const client = new MetadataRefreshClient({
      signer: PRIVATE_KEY,
      baseURL: url,
      timeoutMs: 30_000,
    });
    const started = Date.now();
    await expect(client.waitForRefresh('r', { timeoutMs: 200 })).rejects.toBeInstanceOf(
      TimeoutError,
    );
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('refuses "." and ".." as refresh ids: URL parsers would resolve them as path steps', async () => {
    const url = await serve((res) => res.writeHead(500).end());
    const client = new MetadataRefreshClient({ signer: PRIVATE_KEY, baseURL: url });
    await expect(client.getRefresh('.')).rejects.toBeInstanceOf(InvalidRequestError);
    await expect(client.getRefreshErrors('..')).rejects.toBeInstanceOf(InvalidRequestError);
    expect(paths).toEqual([]);
  });
});
