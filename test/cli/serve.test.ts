import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_ZKEVM_COLLECTION } from '../../src/cli/demo-metadata-api.js';
import { parseCollectionArg, startServe, throwawayApiKey } from '../../src/cli/serve.js';
import { MetadataRefreshClient } from '../../src/index.js';
import { ZKEVM_ENVIRONMENTS } from '../../src/wire/zkevm/limits.js';
import { builtCli } from '../support/built-cli.js';
import { COLLECTION, OWNER, PRIVATE_KEY } from '../support/fixtures.js';

const CHAIN = ZKEVM_ENVIRONMENTS.sandbox.chainName;
const zkPath = (address: string, rest: string, chain: string = CHAIN) =>
  `/v1/chains/${chain}/collections/${address}/${rest}`;
const EMPTY = {
  name: null,
  description: null,
  image: null,
  external_url: null,
  animation_url: null,
  youtube_url: null,
  attributes: null,
};

/** A zkEVM refresh by token id with plain fetch. */
function pushNft(url: string, address: string, key: string, fields: Record<string, unknown>) {
  return fetch(`${url}${zkPath(address, 'nfts/refresh-metadata')}`, {
    method: 'POST',
    headers: { 'x-immutable-api-key': key, 'content-type': 'application/json' },
    body: JSON.stringify({ nft_metadata: [{ token_id: '1', ...EMPTY, ...fields }] }),
  });
}

describe('serve', () => {
  it('parses address=metadataApiUrl and refuses anything else', () => {
    expect(parseCollectionArg(`${COLLECTION}=http://localhost:4000/metadata`)).toEqual({
      address: COLLECTION,
      metadataApiUrl: 'http://localhost:4000/metadata',
    });
    expect(() => parseCollectionArg('0x12=http://x')).toThrow(/0x \+ 40 hex/);
    expect(() => parseCollectionArg(`${COLLECTION}=ftp://x`)).toThrow(/http\(s\) URL/);
    expect(() => parseCollectionArg(COLLECTION)).toThrow(/address=metadataApiUrl/);
  });

  it('needs --owner with --collection, and --collection with --owner, unless --demo', async () => {
    const base = { port: 0, host: '127.0.0.1', demo: false };
    const collections = [parseCollectionArg(`${COLLECTION}=http://127.0.0.1:9/metadata`)];
    await expect(startServe({ ...base, collections }, () => {})).rejects.toThrow(
      /^--owner <address> is required with --collection/,
    );
    await expect(startServe({ ...base, owner: OWNER, collections: [] }, () => {})).rejects.toThrow(
      /at least one --collection/,
    );
  });

  it('serves the configured owner and collections with the given limits', async () => {
    const lines: string[] = [];
    const running = await startServe(
      {
        port: 0,
        host: '127.0.0.1',
        demo: true,
        owner: OWNER,
        collections: [parseCollectionArg(`${COLLECTION}=http://127.0.0.1:9/metadata`)],
        refreshesPerHour: 2,
      },
      (line) => lines.push(line),
    );
    try {
      expect(lines.join('\n')).toContain(
        `Reference Immutable X API on ${running.url} (owner ${OWNER})`,
      );
      expect(lines.join('\n')).toContain('Demo Metadata API on http://127.0.0.1:');
      const client = new MetadataRefreshClient({ signer: PRIVATE_KEY, baseURL: running.url });
      const { rateLimit } = await client.requestRefresh({
        collectionAddress: COLLECTION,
        tokenIds: ['1'],
      });
      expect(rateLimit).toMatchObject({ limit: 2, remaining: 1 });
    } finally {
      await running.stop();
    }
  });

  it('with --demo and no owner, makes a throwaway owner and prints its key', async () => {
    const lines: string[] = [];
    const running = await startServe(
      { port: 0, host: '127.0.0.1', demo: true, collections: [] },
      (line) => lines.push(line),
    );
    try {
      const key = /IMX_PRIVATE_KEY=(0x[0-9a-f]{64})/.exec(lines.join('\n'))?.[1];
      expect(key).toBeDefined();
      const client = new MetadataRefreshClient({ signer: key as string, baseURL: running.url });
      const page = await client.listRefreshes();
      expect(page.result).toEqual([]);
      const stranger = new MetadataRefreshClient({ signer: PRIVATE_KEY, baseURL: running.url });
      await expect(stranger.listRefreshes()).rejects.toMatchObject({ status: 403 });
    } finally {
      await running.stop();
    }
  });

  it('serves the zkEVM API on the same port, with the given key, chain and budget', async () => {
    const key = throwawayApiKey();
    expect(key).toMatch(/^sk_imapik-test-[0-9a-f]{32}$/);
    const lines: string[] = [];
    const mainnet = ZKEVM_ENVIRONMENTS.production.chainName;
    const running = await startServe(
      {
        port: 0,
        host: '127.0.0.1',
        demo: false,
        owner: OWNER,
        collections: [parseCollectionArg(`${COLLECTION}=http://127.0.0.1:9/metadata`)],
        apiKey: key,
        chainName: mainnet,
        zkevmRefreshesPerHour: 3,
      },
      (line) => lines.push(line),
    );
    try {
      const text = lines.join('\n');
      expect(text).toContain(`Reference zkEVM API on ${running.url}/v1/chains/${mainnet}`);
      // A key given is not printed.
      expect(text).not.toContain(key);
      const address = `0x${'ab'.repeat(20)}`;
      const response = await fetch(
        `${running.url}${zkPath(address, 'nfts/refresh-metadata', mainnet)}`,
        {
          method: 'POST',
          headers: { 'x-immutable-api-key': key, 'content-type': 'application/json' },
          body: JSON.stringify({ nft_metadata: [{ token_id: '1', ...EMPTY }] }),
        },
      );
      expect(response.status).toBe(202);
      expect(response.headers.get('imx-refreshes-limit')).toBe('3');
      // retry-after in the engine's default reading: the window (one hour) ends in this long.
      expect(response.headers.get('retry-after')).toBe('3600');
      expect((await pushNft(running.url, address, 'sk_imapik-other', {})).status).toBe(403);
      // The right key, but the sandbox chain is not the one served.
      expect((await pushNft(running.url, address, key, {})).status).toBe(404);
    } finally {
      await running.stop();
    }
  });

  it('refuses an empty --api-key', async () => {
    await expect(
      startServe({ port: 0, host: '127.0.0.1', demo: true, collections: [], apiKey: '' }, () => {}),
    ).rejects.toThrow(/apiKey/);
  });
});

describe('the built bin: serve --zkevm-retry-after', () => {
  it('takes window or pacing only, and says so', () => {
    const run = spawnSync(
      process.execPath,
      [builtCli(), 'serve', '--demo', '--port', '0', '--zkevm-retry-after', 'sometimes'],
      { env: { PATH: process.env.PATH ?? '' }, encoding: 'utf8', timeout: 20_000 },
    );
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/'sometimes' is invalid.*window, pacing/s);
  }, 60_000);
});

describe('the built bin: serve --demo --zkevm-retry-after pacing', () => {
  let child: ChildProcess;
  let output = '';
  let url: string;

  beforeAll(async () => {
    const cli = builtCli();
    child = spawn(
      process.execPath,
      [cli, 'serve', '--demo', '--port', '0', '--zkevm-retry-after', 'pacing'],
      {
        env: { PATH: process.env.PATH ?? '', TZ: 'UTC' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    await new Promise<void>((resolve, reject) => {
      child.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString('utf8');
        if (/Demo Metadata API on /.test(output)) resolve();
      });
      child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${output}`)));
    });
    url = /Reference Immutable X API on (http:\/\/[^ ]+) /.exec(output)?.[1] as string;
  }, 60_000);
  afterAll(async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  });

  it('prints the owner key and the API key, and serves both APIs on one port', async () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const privateKey = /IMX_PRIVATE_KEY=(0x[0-9a-f]{64})/.exec(output)?.[1] as string;
    const apiKey = /IMMUTABLE_API_KEY=(sk_imapik-test-[0-9a-f]{32})/.exec(output)?.[1] as string;
    expect(privateKey).toBeDefined();
    expect(apiKey).toBeDefined();
    expect(output).toContain(`Reference zkEVM API on ${url}/v1/chains/${CHAIN}`);
    expect(output).toContain(`demo collection ${DEMO_ZKEVM_COLLECTION}`);
    // The live API's key and demo collection first, then the Immutable X owner and service.
    const order = [
      'IMMUTABLE_API_KEY=',
      `demo collection ${DEMO_ZKEVM_COLLECTION}`,
      'IMX_PRIVATE_KEY=',
      'Reference Immutable X API on',
      'Demo Metadata API on',
    ].map((text) => output.indexOf(text));
    expect(order).not.toContain(-1);
    expect(order).toEqual([...order].sort((a, b) => a - b));

    const imx = new MetadataRefreshClient({ signer: privateKey, baseURL: url });
    expect((await imx.listRefreshes()).result).toEqual([]);

    const minted = await fetch(`${url}${zkPath(DEMO_ZKEVM_COLLECTION, 'nfts/1')}`);
    expect(minted.status).toBe(200);
    expect(await minted.json()).toMatchObject({ result: { token_id: '1', name: 'Aria #1' } });
    const stack = (await (
      await fetch(`${url}${zkPath(DEMO_ZKEVM_COLLECTION, 'nfts?page_size=10')}`)
    ).json()) as { result: { token_id: string; metadata_id: string | null }[] };
    const potions = stack.result.filter((n) => ['100', '101', '102'].includes(n.token_id));
    expect(potions).toHaveLength(3);
    expect(new Set(potions.map((n) => n.metadata_id)).size).toBe(1);

    const pushed = await pushNft(url, DEMO_ZKEVM_COLLECTION, apiKey, { name: 'Aria #1, level 11' });
    expect(pushed.status).toBe(202);
    // --zkevm-retry-after pacing: pushes one hour / 100 apart, a sooner one refused.
    expect(pushed.headers.get('retry-after')).toBe('36');
    const tooSoon = await pushNft(url, DEMO_ZKEVM_COLLECTION, apiKey, {});
    expect(tooSoon.status).toBe(429);
    expect(tooSoon.headers.get('imx-remaining-refreshes')).toBe('99');
    expect((await pushNft(url, DEMO_ZKEVM_COLLECTION, 'sk_imapik-wrong', {})).status).toBe(403);
    // Only the demo collection exists with --demo.
    expect((await pushNft(url, `0x${'ab'.repeat(20)}`, apiKey, {})).status).toBe(404);
  });
});

describe('the built bin: serve without --owner', () => {
  let child: ChildProcess;
  let output = '';

  beforeAll(async () => {
    child = spawn(process.execPath, [builtCli(), 'serve', '--port', '0'], {
      env: { PATH: process.env.PATH ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    await new Promise<void>((resolve, reject) => {
      child.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString('utf8');
        if (/Immutable X API not served.*\n/.test(output)) resolve();
      });
      child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${output}`)));
    });
  }, 60_000);
  afterAll(async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  });

  it('serves the zkEVM API only, and says so', async () => {
    const apiKey = /IMMUTABLE_API_KEY=(sk_imapik-test-[0-9a-f]{32})/.exec(output)?.[1] as string;
    const url = /Reference zkEVM API on (http:\/\/[^/]+)\//.exec(output)?.[1] as string;
    expect(output.trimEnd().split('\n')).toEqual([
      `Throwaway API key ${apiKey}`,
      `  export IMMUTABLE_API_KEY=${apiKey}   # x-immutable-api-key of the zkEVM API (local only)`,
      `Reference zkEVM API on ${url}/v1/chains/${CHAIN} (key in x-immutable-api-key)`,
      '  every collection exists and every token id is minted',
      'Immutable X API not served: zkEVM only (give --owner and --collection, or --demo, to serve it too)',
    ]);
    expect((await pushNft(url, `0x${'ab'.repeat(20)}`, apiKey, {})).status).toBe(202);
    // No Immutable X route: the zkEVM service answers every other path 404.
    expect((await fetch(`${url}/v1/metadata-refreshes`)).status).toBe(404);
  });
});

describe('the built bin: serve --collection without --owner', () => {
  it('exits 1 naming --owner, and starts nothing', () => {
    const run = spawnSync(
      process.execPath,
      [builtCli(), 'serve', '--port', '0', '--collection', `${COLLECTION}=http://127.0.0.1:9/m`],
      { env: { PATH: process.env.PATH ?? '' }, encoding: 'utf8', timeout: 20_000 },
    );
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('error: --owner <address> is required with --collection');
    expect(run.stdout).toBe('');
  }, 60_000);
});
