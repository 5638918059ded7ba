/**
 * Apps that bundle the SDK with esbuild (CJS and ESM) run with no `node_modules` beside them: one
 * signs Immutable X requests with a hex key (the `@noble` code must be in the bundle), one pushes
 * to zkEVM. Each bundle is built from the built package as a consumer's project would import it,
 * then copied alone into an empty folder and run against a reference server.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MetadataRefreshClient, ZkEvmMetadataClient } from '../../src/index.js';
import { createCombinedReferenceServer } from '../../src/server/index.js';
import { CHAIN, KEY } from '../engine/zkevm/harness.js';
import { assertFreshBuild, PACKAGE_ROOT } from '../support/built-package.js';
import { COLLECTION, OWNER, PRIVATE_KEY } from '../support/fixtures.js';

const ZKEVM_COLLECTION = `0x${'ab'.repeat(20)}`;

// What the README's "Bundling" section tells users to use for an ESM bundle (axios requires
// node built-ins from CommonJS, which an ESM bundle reaches through this `require`).
const ESM_BANNER =
  "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

const APPS = {
  imx: `
import { MetadataRefreshClient, privateKeyToAddress } from 'imx-metadata-refresh';
async function main() {
  const key = process.env.IMX_PRIVATE_KEY;
  const client = new MetadataRefreshClient({ signer: key, baseURL: process.env.BASE_URL });
  const { refreshId, rateLimit } = await client.requestRefresh({
    collectionAddress: process.env.COLLECTION,
    tokenIds: ['1', '2'],
  });
  console.log(JSON.stringify({ address: privateKeyToAddress(key), refreshId, remaining: rateLimit?.remaining }));
}
main().catch((error) => { console.error(error); process.exitCode = 1; });
`,
  zkevm: `
import { ZkEvmMetadataClient } from 'imx-metadata-refresh';
async function main() {
  const zk = new ZkEvmMetadataClient({
    apiKey: process.env.IMMUTABLE_API_KEY,
    baseURL: process.env.BASE_URL,
    chainName: 'imtbl-zkevm-testnet',
  });
  const { rateLimit } = await zk.refreshNftMetadata({
    contractAddress: process.env.COLLECTION,
    nfts: [{ tokenId: '7', name: 'Bundled hero' }],
  });
  console.log(JSON.stringify({ limit: rateLimit?.limit, remaining: rateLimit?.remaining }));
}
main().catch((error) => { console.error(error); process.exitCode = 1; });
`,
} as const;

let project: string;
let server: ReturnType<typeof createCombinedReferenceServer>;
let url: string;

beforeAll(async () => {
  assertFreshBuild();
  project = mkdtempSync(join(tmpdir(), 'imx-bundle-'));
  // The package as an installed dependency: its own dependencies resolve from its real path.
  mkdirSync(join(project, 'node_modules'));
  symlinkSync(PACKAGE_ROOT, join(project, 'node_modules', 'imx-metadata-refresh'), 'dir');
  for (const [name, source] of Object.entries(APPS))
    writeFileSync(join(project, `${name}.js`), source);
  server = createCombinedReferenceServer({
    imx: {
      owner: OWNER,
      collections: [{ address: COLLECTION, metadataApiUrl: 'http://metadata.test' }],
      fetchMetadata: async () => ({ status: 200, body: '{"name":"x"}' }),
    },
    zkevm: {
      apiKey: KEY,
      syncDelayMs: 0,
      collections: [{ address: ZKEVM_COLLECTION, tokenIds: ['7'] }],
    },
  });
  ({ url } = await server.listen());
});

afterAll(async () => {
  await server?.close();
  if (project) rmSync(project, { recursive: true, force: true });
});

/** Bundles app `name` in `format`, copies the bundle alone into an empty folder, runs it. */
async function bundleAndRun(name: keyof typeof APPS, format: 'cjs' | 'esm') {
  const outfile = join(project, 'out', `${name}.${format === 'cjs' ? 'cjs' : 'mjs'}`);
  const result = await build({
    entryPoints: [join(project, `${name}.js`)],
    absWorkingDir: project,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format,
    outfile,
    banner: format === 'esm' ? { js: ESM_BANNER } : {},
    logLevel: 'silent',
  });
  expect(result.errors).toEqual([]);
  const alone = mkdtempSync(join(project, 'run-'));
  const copy = join(alone, `app.${format === 'cjs' ? 'cjs' : 'mjs'}`);
  copyFileSync(outfile, copy);
  // Not spawnSync: the reference server answering the app runs in this process.
  const run = await promisify(execFile)(process.execPath, [copy], {
    cwd: alone,
    encoding: 'utf8',
    timeout: 20_000,
    env: {
      PATH: process.env.PATH,
      BASE_URL: url,
      IMX_PRIVATE_KEY: PRIVATE_KEY,
      IMMUTABLE_API_KEY: KEY,
      COLLECTION: name === 'imx' ? COLLECTION : ZKEVM_COLLECTION,
    },
  });
  expect(run.stderr).toBe('');
  return JSON.parse(run.stdout) as Record<string, unknown>;
}

describe('an app bundled with esbuild, run with no node_modules beside it', () => {
  for (const format of ['cjs', 'esm'] as const) {
    it(`signs Immutable X requests with a hex key (${format})`, async () => {
      const printed = await bundleAndRun('imx', format);
      expect(printed.address).toBe(OWNER);
      expect(printed.refreshId).toMatch(/^[0-9a-f-]{36}$/);
      // The server accepted the bundle's signature: the refresh is the owner's, with both tokens.
      const client = new MetadataRefreshClient({ signer: PRIVATE_KEY, baseURL: url });
      const refresh = await client.getRefresh(printed.refreshId as string);
      expect(refresh.collectionAddress).toBe(COLLECTION);
    });

    it(`pushes metadata to zkEVM (${format})`, async () => {
      const printed = await bundleAndRun('zkevm', format);
      expect(printed.limit).toEqual(expect.any(Number));
      expect(printed.remaining).toEqual(expect.any(Number));
      const zk = new ZkEvmMetadataClient({ apiKey: KEY, baseURL: url, chainName: CHAIN });
      const nft = await zk.getNft({ contractAddress: ZKEVM_COLLECTION, tokenId: '7' });
      expect(nft.name).toBe('Bundled hero');
    });
  }
});
