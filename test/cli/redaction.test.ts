/**
 * Every line the built bin prints passes through the redactor: an API key or a private key typed
 * by mistake as a token id or a refresh id, or inside `--base-url`, is never echoed, on stdout or
 * stderr, in text or `--json` (whose errors are JSON on stderr); the message around it still says what went wrong.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCollectionArg, startServe } from '../../src/cli/serve.js';
import { builtCli } from '../support/built-cli.js';
import { COLLECTION, OWNER, PRIVATE_KEY } from '../support/fixtures.js';

const CHAIN = 'imtbl-zkevm-testnet';
const CONTRACT = '0x8a90cab2b38dba80c64b7734e58ee1db38b8992e';
/** The keys the user meant to keep in the environment. */
const ENV_API_KEY = `sk_imapik-test-${randomBytes(16).toString('hex')}`;
/** The secrets typed by mistake: another API key, and a private key bare and with 0x. */
const API_KEY = `sk_imapik-${randomBytes(20).toString('hex')}`;
const HEX = randomBytes(32).toString('hex');
const SECRETS = [
  { name: 'an API key', typed: API_KEY },
  { name: 'a bare private key', typed: HEX },
  { name: 'a 0x private key', typed: `0x${HEX}` },
];

let cli: string;
let url: string;
let stop: () => Promise<void>;

beforeAll(async () => {
  cli = builtCli();
  const running = await startServe(
    {
      port: 0,
      host: '127.0.0.1',
      demo: false,
      owner: OWNER,
      collections: [parseCollectionArg(`${COLLECTION}=http://127.0.0.1:9/metadata`)],
      apiKey: ENV_API_KEY,
    },
    () => {},
  );
  ({ url, stop } = running);
}, 60_000);
afterAll(() => stop());

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [cli, ...args],
      {
        env: {
          PATH: process.env.PATH ?? '',
          IMX_PRIVATE_KEY: PRIVATE_KEY,
          IMMUTABLE_API_KEY: ENV_API_KEY,
        },
        timeout: 30_000,
      },
      (error, stdout, stderr) =>
        resolve({
          code: error ? Number((error as { code?: number }).code ?? 1) : 0,
          stdout,
          stderr,
        }),
    );
  });
}

/** Neither the typed secret nor its hex digits (with or without 0x) appear anywhere. */
function expectNoSecret(result: Run) {
  const all = result.stdout + result.stderr;
  for (const secret of [API_KEY, HEX, ENV_API_KEY, PRIVATE_KEY.slice(2)])
    expect(all).not.toContain(secret);
}

const imx = () => ['--base-url', url];
const zkevm = (base = url) => ['--base-url', base, '--chain-name', CHAIN];

describe.each(SECRETS)('$name typed by mistake', ({ typed }) => {
  it('as a refresh id: the error says which refresh, redacted (text and --json)', async () => {
    const [text, json] = await Promise.all([
      run(['status', typed, ...imx()]),
      run(['errors', typed, ...imx(), '--json']),
    ]);
    expect(text.code).toBe(1);
    expect(text.stderr).toContain('error: 404 not_found: Refresh [redacted] not found');
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stderr)).toMatchObject({
      error: { message: 'Refresh [redacted] not found' },
    });
    for (const result of [text, json]) expectNoSecret(result);
  });

  it('as a token id: redacted in --json results and in errors', async () => {
    const [request, get, push] = await Promise.all([
      run(['request', COLLECTION, '1', typed, ...imx(), '--json']),
      run(['zkevm', 'get', CONTRACT, typed, ...zkevm()]),
      run([
        'zkevm',
        'push',
        CONTRACT,
        '1',
        typed,
        '--from-metadata-api',
        url,
        ...zkevm(),
        '--json',
      ]),
    ]);
    expect(request.code).toBe(0);
    expect(JSON.parse(request.stdout).refreshes[0].tokenIds).toEqual(['1', '[redacted]']);
    expect(get.code).toBe(1);
    expect(get.stderr).toContain('got "[redacted]"');
    // Still JSON: the redaction stops before the escaped quote.
    expect(push.code).toBe(1);
    expect(JSON.parse(push.stderr).error.message).toContain('token id "[redacted]"');
    for (const result of [request, get, push]) expectNoSecret(result);
  });

  it('inside --base-url: the unreachable host is redacted (text and --json)', async () => {
    // A DNS label over 63 characters: the lookup fails on this machine, at once.
    const base = `http://${typed}-${'x'.repeat(64)}:1`;
    const [list, zkList] = await Promise.all([
      run(['list', '--base-url', base, '--json']),
      run(['zkevm', 'list', CONTRACT, ...zkevm(base)]),
    ]);
    expect(list.code).toBe(1);
    expect(JSON.parse(list.stderr).error.host).toMatch(/^\[redacted\]/);
    expect(zkList.code).toBe(1);
    expect(zkList.stderr).toMatch(/^error: could not reach \[redacted\]/);
    for (const result of [list, zkList]) expectNoSecret(result);
  });

  it("in an unknown option: commander's own message is redacted", async () => {
    const result = await run(['zkevm', 'get', CONTRACT, '1', ...zkevm(), `--tokn=${typed}`]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("unknown option '--tokn=[redacted]'");
    expectNoSecret(result);
  });
});

describe('what is not a secret', () => {
  it('a uint256 token id of 78 decimal digits is printed as it is', async () => {
    const tokenId = (2n ** 256n - 1n).toString();
    const result = await run(['zkevm', 'get', CONTRACT, tokenId, ...zkevm(), '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ tokenId });
  });

  it('prose naming the key prefix is left alone', async () => {
    const help = await run(['serve', '--help']);
    expect(help.stdout).toContain('a throwaway sk_imapik-test-… key, printed');
  });
});
