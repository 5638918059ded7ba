/** `IMX_BASE_URL`, `IMMUTABLE_BASE_URL` and `IMMUTABLE_CHAIN_NAME` as defaults of the flags: the built bin. */
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientFrom } from '../../src/cli/commands.js';
import { zkEvmConnect } from '../../src/cli/zkevm-commands.js';
import { IMX_BASE_URLS } from '../../src/client/client.js';
import {
  createReferenceServer,
  createZkEvmReferenceServer,
  type ReferenceServer,
  type ZkEvmReferenceServer,
} from '../../src/server/index.js';
import { ZKEVM_ENVIRONMENTS } from '../../src/wire/zkevm/limits.js';
import { builtCli } from '../support/built-cli.js';
import { COLLECTION, OWNER, PRIVATE_KEY } from '../support/fixtures.js';

const KEY = 'sk_imapik-test-0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e';
const CHAIN = 'imtbl-zkevm-testnet';
const CONTRACT = '0x8a90cab2b38dba80c64b7734e58ee1db38b8992e';
/** A port nothing listens on: taking it instead of the flag would fail. */
const WRONG = 'http://127.0.0.1:9';

let cli: string;
let imx: ReferenceServer;
let imxUrl: string;
let zkevm: ZkEvmReferenceServer;
let zkevmUrl: string;

beforeAll(async () => {
  cli = builtCli();
  imx = createReferenceServer({
    owner: OWNER,
    collections: [{ address: COLLECTION, metadataApiUrl: 'http://metadata.test' }],
  });
  ({ url: imxUrl } = await imx.listen());
  zkevm = createZkEvmReferenceServer({ apiKey: KEY, chainName: CHAIN, syncDelayMs: 0 });
  zkevm.service.mint(CONTRACT, [{ tokenId: '1', name: 'Sword' }]);
  ({ url: zkevmUrl } = await zkevm.listen());
}, 60_000);

afterAll(async () => {
  await imx.close();
  await zkevm.close();
});

function run(args: string[], env: Record<string, string>) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [cli, ...args],
      { env: { PATH: process.env.PATH ?? '', TZ: 'UTC', ...env }, timeout: 20_000 },
      (error, stdout, stderr) =>
        resolve({
          code: error ? Number((error as { code?: number }).code ?? 1) : 0,
          stdout,
          stderr,
        }),
    );
  });
}

describe('IMX_BASE_URL', () => {
  it('is the default of --base-url', async () => {
    const result = await run(['list'], { IMX_PRIVATE_KEY: PRIVATE_KEY, IMX_BASE_URL: imxUrl });
    expect(result).toMatchObject({ code: 0, stderr: '', stdout: 'No refreshes.\n' });
  });

  it('--base-url wins over it', async () => {
    const result = await run(['list', '--base-url', imxUrl], {
      IMX_PRIVATE_KEY: PRIVATE_KEY,
      IMX_BASE_URL: WRONG,
    });
    expect(result).toMatchObject({ code: 0, stderr: '', stdout: 'No refreshes.\n' });
  });

  it('is named in the help', async () => {
    expect((await run(['list', '--help'], {})).stdout).toContain('$IMX_BASE_URL');
  });
});

describe('IMMUTABLE_BASE_URL and IMMUTABLE_CHAIN_NAME', () => {
  const get = ['zkevm', 'get', CONTRACT, '1', '--json'];

  it('are the defaults of --base-url and --chain-name', async () => {
    const result = await run(get, {
      IMMUTABLE_API_KEY: KEY,
      IMMUTABLE_BASE_URL: zkevmUrl,
      IMMUTABLE_CHAIN_NAME: CHAIN,
    });
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toMatchObject({ tokenId: '1', name: 'Sword' });
  });

  it('the flags win over them', async () => {
    const result = await run([...get, '--base-url', zkevmUrl, '--chain-name', CHAIN], {
      IMMUTABLE_API_KEY: KEY,
      IMMUTABLE_BASE_URL: WRONG,
      IMMUTABLE_CHAIN_NAME: 'imtbl-zkevm-mainnet',
    });
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toMatchObject({ tokenId: '1', name: 'Sword' });
  });

  it('a flag base URL takes the chain from the environment; a base URL without a chain is refused', async () => {
    const withEnvChain = await run([...get, '--base-url', zkevmUrl], {
      IMMUTABLE_API_KEY: KEY,
      IMMUTABLE_CHAIN_NAME: CHAIN,
    });
    expect(JSON.parse(withEnvChain.stdout)).toMatchObject({ tokenId: '1' });
    const noChain = await run(get, { IMMUTABLE_API_KEY: KEY, IMMUTABLE_BASE_URL: zkevmUrl });
    expect(noChain.code).toBe(1);
    expect(noChain.stderr).toContain('needs --chain-name or IMMUTABLE_CHAIN_NAME');
  });
});

describe('--environment wins over the environment variables too', () => {
  it('Immutable X: the sandbox URL, not IMX_BASE_URL', () => {
    const env = { IMX_PRIVATE_KEY: PRIVATE_KEY, IMX_BASE_URL: WRONG };
    expect(clientFrom({ environment: 'sandbox' }, env).baseURL).toBe(IMX_BASE_URLS.sandbox);
    expect(clientFrom({}, env).baseURL).toBe(WRONG);
  });

  it('zkEVM: the sandbox URL and chain, not IMMUTABLE_BASE_URL and IMMUTABLE_CHAIN_NAME', () => {
    const env = {
      IMMUTABLE_API_KEY: KEY,
      IMMUTABLE_BASE_URL: WRONG,
      IMMUTABLE_CHAIN_NAME: 'imtbl-zkevm-mainnet',
    };
    const { client } = zkEvmConnect({ environment: 'sandbox' }, env);
    expect(client.chainName).toBe(ZKEVM_ENVIRONMENTS.sandbox.chainName);
    expect(client.baseURL).not.toBe(WRONG);
    expect(zkEvmConnect({}, env).client.baseURL).toBe(WRONG);
  });
});
