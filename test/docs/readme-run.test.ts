// The README's runnable blocks, run as a reader would run them: each block as written, in a
// consumer project that installs the built package, given only the names it takes from the prose
// (and, for the quickstarts, the edits the README tells a reader to make for `serve`).
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_COLLECTION } from '../../src/cli/demo-metadata-api.js';
import { startServe } from '../../src/cli/serve.js';
import { ZkEvmMetadataClient } from '../../src/index.js';
import { createZkEvmReferenceServer, startMetadataApiServer } from '../../src/server/index.js';
import { assertFreshBuild, PACKAGE_ROOT } from '../support/built-package.js';
import {
  type ConsumerProject,
  createConsumerProject,
  importedPackages,
} from '../support/consumer-project.js';
import { PRIVATE_KEY } from '../support/fixtures.js';
import { type CodeBlock, extractCodeBlocks } from '../support/markdown-code-blocks.js';
import { redisAvailable, startRedis } from '../support/redis-server.js';

const run = promisify(execFile);
const README = readFileSync(join(PACKAGE_ROOT, 'README.md'), 'utf8');
const blocks = extractCodeBlocks(README);
const VITEST = join(PACKAGE_ROOT, 'node_modules/vitest/vitest.mjs');

function block(id: string): CodeBlock {
  const found = blocks.find((b) => b.lang === 'ts' && b.id === id);
  if (!found) throw new Error(`README has no \`\`\`ts block under "${id}"`);
  return found;
}

/** `code` with each `[from, to]` replaced once; a `from` the code lacks throws. */
function edit(code: string, edits: [from: string, to: string][]): string {
  return edits.reduce((text, [from, to]) => {
    if (!text.includes(from)) throw new Error(`the block no longer contains ${from}`);
    return text.replace(from, to);
  }, code);
}

/** TypeScript to an ES module for node (types stripped; the type check is readme-blocks.test). */
function toModule(code: string): string {
  return ts.transpileModule(code, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  }).outputText;
}

// The names the runnable blocks take from the prose, as values.
// Nothing is enqueued, so the client is never called: an address where nothing listens.
const REDIS_PRELUDE = `import { MetadataRefreshClient as ReadmeClient } from 'imx-metadata-refresh';
const client = new ReadmeClient({ signer: '${PRIVATE_KEY}', baseURL: 'http://127.0.0.1:9' });
`;

let project: ConsumerProject | undefined;

beforeAll(() => {
  assertFreshBuild();
  project = createConsumerProject(
    blocks.map((b) => b.code).flatMap((code) => importedPackages(code)),
  );
});

afterAll(() => project?.remove());

function consumer(): ConsumerProject {
  if (!project) throw new Error('beforeAll did not create the project');
  return project;
}

describe('README blocks run against the built package', () => {
  it('the zkEVM quickstart, edited as the README says, pushes the level-up and confirms it on serve', async () => {
    const prose = README.replace(/\s+/g, ' ');
    expect(prose).toContain(
      "replace `environment: 'sandbox'` with `baseURL: 'http://127.0.0.1:4000', chainName: 'imtbl-zkevm-testnet'`",
    );
    const lines: string[] = [];
    const serve = await startServe(
      { port: 0, host: '127.0.0.1', demo: false, collections: [] },
      (line) => lines.push(line),
    );
    try {
      // The key the README tells the reader to export is the one serve printed.
      const key = /export IMMUTABLE_API_KEY=(sk_imapik-test-[0-9a-f]+)/.exec(lines.join('\n'))?.[1];
      expect(key).toBe(serve.apiKey);
      const code = edit(block('Quickstart').code, [
        ["environment: 'sandbox',", `baseURL: '${serve.url}', chainName: 'imtbl-zkevm-testnet',`],
      ]);
      const file = consumer().write('zkevm-quickstart.mjs', toModule(code));
      const { stdout, stderr } = await run(process.execPath, [file], {
        cwd: consumer().dir,
        env: { ...process.env, IMMUTABLE_API_KEY: key },
        timeout: 40_000,
      });
      expect(stderr).toBe('');
      // The budget the answer announced; waitForNftMetadata then resolved (no throw, exit 0).
      expect(stdout).toMatch(/^99 of 100 pushes left until \w{3} \w{3} \d\d \d{4} /);
      const nft = await new ZkEvmMetadataClient({
        apiKey: serve.apiKey,
        baseURL: serve.url,
        chainName: 'imtbl-zkevm-testnet',
      }).getNft({ contractAddress: '0x8a90cab2b38dba80c64b7734e58ee1db38b8992e', tokenId: '42' });
      expect(nft.attributes).toEqual([{ traitType: 'Level', value: 7, displayType: 'number' }]);
      expect(nft.metadataSyncedAt).not.toBeNull();
    } finally {
      await serve.stop();
    }
  }, 60_000);

  it('the Immutable X quickstart, edited as the README says, refreshes two demo tokens on serve --demo', async () => {
    // The README tells the reader these edits; it must keep telling them.
    const prose = README.replace(/\s+/g, ' ');
    expect(prose).toContain(
      "replace `environment: 'sandbox'` with `baseURL: 'http://127.0.0.1:4000'`",
    );
    expect(prose).toContain(`use the demo collection, \`${DEMO_COLLECTION}\``);
    const lines: string[] = [];
    const serve = await startServe(
      { port: 0, host: '127.0.0.1', demo: true, collections: [] },
      (line) => lines.push(line),
    );
    try {
      const key = /export IMX_PRIVATE_KEY=(0x[0-9a-f]{64})/.exec(lines.join('\n'))?.[1];
      expect(key).toBeDefined();
      const code = edit(block('Immutable X quickstart').code, [
        // Port 0 here, not 4000: a parallel run or a developer's own serve may hold 4000.
        ["environment: 'sandbox'", `baseURL: '${serve.url}'`],
        ["'0x9a48b1b27743d807331d06ecf0bfb15c06fdb58d'", `'${DEMO_COLLECTION}'`],
      ]);
      const file = consumer().write('quickstart.mjs', toModule(code));
      const { stdout, stderr } = await run(process.execPath, [file], {
        cwd: consumer().dir,
        env: { ...process.env, IMX_PRIVATE_KEY: key },
        timeout: 40_000,
      });
      expect(stderr).toBe('');
      // Tokens 1 and 2 of the demo collection succeed: a summary, the budget, no error rows.
      expect(stdout).toBe('{ succeeded: 2, failed: 0, pending: 0 } 9 refreshes left this hour\n');
    } finally {
      await serve.stop();
    }
  }, 60_000);

  it('the two msw mock blocks pass as a consumer’s vitest unit tests', async () => {
    const p = consumer();
    p.write('imx-mock.test.ts', block('Mocking Immutable X in your unit tests').code);
    p.write('zkevm-mock.test.ts', block('Mocking in your unit tests').code);
    // vitest's defaults: no config, no globals (a block must import beforeAll & co.).
    const { stdout } = await run(process.execPath, [VITEST, 'run', '--reporter=verbose'], {
      cwd: p.dir,
      env: { ...process.env, NO_COLOR: '1', CI: 'true' },
      // A second vitest starting on a loaded 2-core machine takes its time.
      timeout: 60_000,
    });
    expect(stdout).toMatch(/✓ imx-mock\.test\.ts > survives a spent budget/);
    expect(stdout).toMatch(/✓ zkevm-mock\.test\.ts > pushes the level-up/);
    expect(stdout).toMatch(/Tests\s+2 passed \(2\)/);
  }, 90_000);

  it('the zkEVM scheduler block pushes the level-up and confirms it before stop() returns', async () => {
    const contract = '0x8a90cab2b38dba80c64b7734e58ee1db38b8992e';
    const key = 'sk_imapik-readme-0123456789';
    const metadataApi = await startMetadataApiServer({
      metadata: { '42': { name: 'Hero', attributes: [{ trait_type: 'Level', value: 8 }] } },
    });
    const server = createZkEvmReferenceServer({
      apiKey: key,
      syncDelayMs: 500,
      collections: [{ address: contract, tokenIds: ['42'] }],
    });
    try {
      const { url } = await server.listen();
      const code = edit(block('Keeping zkEVM metadata current').code, [
        ["environment: 'sandbox',", `baseURL: '${url}', chainName: 'imtbl-zkevm-testnet',`],
        ["'https://game.example/metadata'", `'${metadataApi.url}'`],
      ]);
      const file = consumer().write('zkevm-scheduler.mjs', toModule(code));
      const { stderr } = await run(process.execPath, [file], {
        cwd: consumer().dir,
        env: { ...process.env, IMMUTABLE_API_KEY: key },
        timeout: 40_000,
      });
      // Nothing reported as failed or lost: stop({ drain }) waited for the push and its sync.
      expect(stderr).toBe('');
      const zk = new ZkEvmMetadataClient({
        apiKey: key,
        baseURL: url,
        chainName: 'imtbl-zkevm-testnet',
      });
      const nft = await zk.getNft({ contractAddress: contract, tokenId: '42' });
      expect(nft).toMatchObject({ name: 'Hero', metadataSyncedAt: expect.any(String) });
    } finally {
      await server.close();
      await metadataApi.close();
    }
  }, 60_000);

  it.skipIf(!redisAvailable)(
    'the Redis scheduler block exits: it stops the scheduler and closes the store',
    async () => {
      const redis = await startRedis();
      try {
        const code = REDIS_PRELUDE + block('A fleet, with Redis').code;
        const file = consumer().write('redis-scheduler.mjs', toModule(code));
        // A store left open keeps node running: execFile's timeout would kill it and reject.
        const { stderr } = await run(process.execPath, [file], {
          cwd: consumer().dir,
          env: { ...process.env, REDIS_URL: redis.url },
          timeout: 20_000,
        });
        expect(stderr).toBe('');
      } finally {
        await redis.stop();
      }
    },
    40_000,
  );
});
