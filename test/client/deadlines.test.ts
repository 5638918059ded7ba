import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidRequestError, MetadataRefreshClient, TimeoutError } from '../../src/index.js';
import { PRIVATE_KEY } from '../support/fixtures.js';
import { useLoopback } from '../support/loopback.js';

const loopback = useLoopback();
const paths: string[] = [];
afterEach(() => {
  paths.length = 0;
});

async function serve(handler: (res: ServerResponse) => void): Promise<string> {
  const server = await loopback.serve((req, res) => {
    paths.push(req.url ?? '');
    handler(res);
  });
  return server.url;
}

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
