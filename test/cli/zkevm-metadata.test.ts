/**
 * `imx-metadata-refresh zkevm metadata | list-metadata | list --metadata-id | collection |
 * refresh-collection` as a user runs them: the built bin against the zkEVM reference server on
 * loopback. One process per case, the cases of a test run at once.
 */
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startServe } from '../../src/cli/serve.js';
import { ZkEvmMetadataClient } from '../../src/index.js';
import { createZkEvmReferenceServer, type ZkEvmReferenceServer } from '../../src/server/index.js';
import { builtCli } from '../support/built-cli.js';

const KEY = 'sk_imapik-test-5e2b8d1f7a3c9e0b4d6f8a1c3e5b7d9f';
const CHAIN = 'imtbl-zkevm-testnet';
const CONTRACT = '0x8a90cab2b38dba80c64b7734e58ee1db38b8992e';
const STACK = '00000000-0000-4000-8000-000000000001';

let cli: string;
let server: ZkEvmReferenceServer;
let url: string;
const printed: string[] = [];

beforeAll(async () => {
  cli = builtCli();
  let ids = 0;
  server = createZkEvmReferenceServer({
    apiKey: KEY,
    chainName: CHAIN,
    collections: [
      {
        address: CONTRACT,
        metadata: { name: 'Lizards', symbol: 'GLZ', baseUri: 'https://glz.test/' },
      },
    ],
    limits: { refreshesPerHour: 5 },
    syncDelayMs: 0,
    generateId: () => `00000000-0000-4000-8000-${String(++ids).padStart(12, '0')}`,
  });
  ({ url } = await server.listen());
}, 60_000);

afterAll(async () => {
  await server.close();
});

beforeEach(() => {
  server.service.reset();
  server.service.mint(CONTRACT, [
    { tokenId: '1', name: 'Potion' },
    { tokenId: '2', name: 'Sword' },
    { tokenId: '3', name: 'Potion' },
  ]);
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [cli, 'zkevm', ...args, '--base-url', url, '--chain-name', CHAIN],
      { env: { PATH: process.env.PATH ?? '', TZ: 'UTC', IMMUTABLE_API_KEY: KEY }, timeout: 20_000 },
      (error, stdout, stderr) => {
        printed.push(stdout, stderr);
        resolve({
          code: error ? Number((error as { code?: number }).code ?? 1) : 0,
          stdout,
          stderr,
        });
      },
    );
  });
}

describe('zkevm: from a stacked metadata to its NFTs', () => {
  it('metadata, list-metadata and list --metadata-id', async () => {
    const stackId = server.service.nft(CONTRACT, '1')?.metadataId as string;
    const [one, list, nfts, bad] = await Promise.all([
      run(['metadata', CONTRACT, stackId]),
      run(['list-metadata', CONTRACT, '--json']),
      run(['list', CONTRACT, '--metadata-id', stackId, '--json']),
      run(['metadata', CONTRACT, 'potion']),
    ]);
    expect(one.code).toBe(0);
    expect(one.stdout).toMatch(/name\s+Potion/);
    expect(one.stdout).toContain(`zkevm list ${CONTRACT} --metadata-id ${stackId}`);
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout).map((m: { name: string }) => m.name)).toEqual([
      'Potion',
      'Sword',
    ]);
    expect(JSON.parse(nfts.stdout).map((n: { tokenId: string }) => n.tokenId)).toEqual(['1', '3']);
    expect([bad.code, bad.stderr]).toEqual([
      1,
      expect.stringContaining('metadataId must be a UUID'),
    ]);
    expect(stackId).toBe(STACK);
  });
});

describe('zkevm collection and refresh-collection', () => {
  it('changes only the fields given, clears those named, and shows the budget', async () => {
    const changed = await run([
      'refresh-collection',
      CONTRACT,
      '--image',
      'https://img.test/s2.png',
      '--clear',
      'symbol',
    ]);
    expect(changed.code).toBe(0);
    expect(changed.stdout).toMatch(/image\s+https:\/\/img\.test\/s2\.png/);
    expect(changed.stdout).toContain('Budget: 4 of 5 refresh requests left');
    const [shown, json] = await Promise.all([
      run(['collection', CONTRACT]),
      run(['collection', CONTRACT, '--json']),
    ]);
    expect(shown.stdout).toMatch(/base_uri\s+https:\/\/glz\.test\//);
    expect(JSON.parse(json.stdout)).toMatchObject({
      name: 'Lizards',
      symbol: null,
      image: 'https://img.test/s2.png',
      baseUri: 'https://glz.test/',
      metadataSyncedAt: expect.any(String),
    });
  });

  it('refuses nothing to change, an unknown field, and a field both set and cleared', async () => {
    const results = await Promise.all([
      run(['refresh-collection', CONTRACT]),
      run(['refresh-collection', CONTRACT, '--clear', 'logo']),
      run(['refresh-collection', CONTRACT, '--name', 'x', '--clear', 'name']),
    ]);
    expect(results.map((r) => r.code)).toEqual([1, 1, 1]);
    expect(results[0]?.stderr).toContain('Give what to change: --name');
    expect(results[1]?.stderr).toContain('--clear logo: the fields are name');
    expect(results[2]?.stderr).toContain('name is both set and cleared');
    expect(server.service.budget().remaining).toBe(5);
  });

  it('never prints the key', () => {
    for (const text of printed) expect(text).not.toContain(KEY);
  });
});

describe('serve --zkevm-collection-refresh', () => {
  it("'separate': a collection refresh spends nothing; 'shared' (default): one push", async () => {
    const metadata = {
      name: 'Lizards',
      symbol: null,
      description: null,
      image: null,
      externalLink: null,
      contractUri: null,
      baseUri: null,
    };
    for (const reading of ['separate', 'shared'] as const) {
      const running = await startServe(
        {
          port: 0,
          host: '127.0.0.1',
          demo: false,
          collections: [],
          zkevmRefreshesPerHour: 3,
          ...(reading === 'shared' ? {} : { zkevmCollectionRefresh: reading }),
        },
        () => {},
      );
      try {
        const zk = new ZkEvmMetadataClient({
          apiKey: running.apiKey,
          baseURL: running.url,
          chainName: CHAIN,
        });
        const { rateLimit } = await zk.refreshCollectionMetadata({
          contractAddress: CONTRACT,
          collectionMetadata: metadata,
        });
        expect([reading, rateLimit?.remaining]).toEqual([
          reading,
          reading === 'shared' ? 2 : undefined,
        ]);
        expect(running.server.zkevm.budget().remaining).toBe(reading === 'shared' ? 2 : 3);
      } finally {
        await running.stop();
      }
    }
  });
});
