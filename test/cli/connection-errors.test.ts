/** A request that never reaches the API: the CLI names the host it tried, never a credential. */
import { execFile } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { hostOf, type Io, reportError } from '../../src/cli/commands.js';
import { MetadataRefreshClient } from '../../src/index.js';
import { freePort, serveOnLoopback } from '../../src/server/loopback.js';
import { builtCli } from '../support/built-cli.js';
import { rejection } from '../support/errors.js';
import { PRIVATE_KEY } from '../support/fixtures.js';

const KEY = 'sk_imapik-test-5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b';
const CONTRACT = '0x8a90cab2b38dba80c64b7734e58ee1db38b8992e';

let cli: string;
/** A loopback port nothing listens on: it was free a moment ago. */
let closedPort: number;

beforeAll(async () => {
  cli = builtCli();
  closedPort = await freePort();
}, 60_000);

function run(args: string[], env: Record<string, string>) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [cli, ...args],
      { env: { PATH: process.env.PATH ?? '', TZ: 'UTC', ...env }, timeout: 25_000 },
      (error, stdout, stderr) =>
        resolve({
          code: error ? Number((error as { code?: number }).code ?? 1) : 0,
          stdout,
          stderr,
        }),
    );
  });
}

describe('the built bin, when the API cannot be reached', () => {
  it('refused: names host and port, and the system code', async () => {
    const result = await run(['list', '--base-url', `http://127.0.0.1:${closedPort}`], {
      IMX_PRIVATE_KEY: PRIVATE_KEY,
    });
    expect(result.code).toBe(1);
    expect(result.stderr.split('\n')[0]).toBe(
      `error: could not reach 127.0.0.1:${closedPort} (ECONNREFUSED)`,
    );
  });

  it('DNS: names the host it looked up', async () => {
    const result = await run(['list', '--base-url', 'http://no-such-host.invalid'], {
      IMX_PRIVATE_KEY: PRIVATE_KEY,
    });
    expect(result.code).toBe(1);
    expect(result.stderr.split('\n')[0]).toMatch(
      /^error: could not reach no-such-host\.invalid \((ENOTFOUND|EAI_AGAIN)\)$/,
    );
  });

  it('zkevm --json: the host in the document; neither the key nor URL user info anywhere', async () => {
    const result = await run(
      [
        'zkevm',
        'get',
        CONTRACT,
        '1',
        '--json',
        '--base-url',
        `http://operator:hunter2@127.0.0.1:${closedPort}/base`,
        '--chain-name',
        'imtbl-zkevm-testnet',
      ],
      { IMMUTABLE_API_KEY: KEY },
    );
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stderr)).toMatchObject({
      error: { name: 'ConnectionError', host: `127.0.0.1:${closedPort}` },
    });
    for (const secret of [KEY, 'hunter2', 'operator'])
      expect(result.stdout + result.stderr).not.toContain(secret);
  });
});

describe('reportError with a timed-out attempt', () => {
  it('names the host, and says it timed out', async () => {
    // Accepts the request and never answers.
    const silent = await serveOnLoopback(() => {});
    const baseURL = silent.url;
    try {
      const client = new MetadataRefreshClient({
        signer: PRIVATE_KEY,
        baseURL,
        timeoutMs: 200,
        maxRetries: 0,
      });
      const error = await rejection(client.listRefreshes());
      const err = new PassThrough();
      let text = '';
      err.on('data', (chunk: Buffer) => {
        text += chunk.toString('utf8');
      });
      const io: Io = { out: new PassThrough(), err, env: {} };
      expect(reportError(error, io, false, hostOf(baseURL))).toBe(1);
      expect(text.split('\n')[0]).toBe(`error: could not reach ${hostOf(baseURL)} (timed out)`);
      expect(text).toContain('timed out after 200 ms');
    } finally {
      await silent.close();
    }
  });
});
