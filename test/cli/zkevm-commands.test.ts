/** `imx-metadata-refresh zkevm …` as a user runs it: the built bin against the zkEVM reference server on loopback. */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { zkEvmConnect, zkevmPushCommand } from '../../src/cli/zkevm-commands.js';
import {
  createZkEvmReferenceServer,
  type MetadataApiServer,
  startMetadataApiServer,
  type ZkEvmReferenceServer,
} from '../../src/server/index.js';
import { serveOnLoopback } from '../../src/server/loopback.js';
import { builtCli } from '../support/built-cli.js';
import { inTokyo } from '../support/fixtures.js';
import { replayOnScreen } from '../support/terminal-screen.js';

const KEY = 'sk_imapik-test-9c1d7f0b2a4e6c8d0f1a3b5c7d9e1f2a';
const CHAIN = 'imtbl-zkevm-testnet';
const CONTRACT = '0x8a90cab2b38dba80c64b7734e58ee1db38b8992e';
const LIMIT = 5;

let cli: string;
let server: ZkEvmReferenceServer;
let url: string;
let api: MetadataApiServer;
/** Everything any run printed: the key must be in none of it. */
const printed: string[] = [];

const hero = (tokenId: string) => ({
  name: `Hero ${tokenId}`,
  image: `https://img.test/${tokenId}.png`,
  attributes: [{ trait_type: 'level', value: Number(tokenId) }],
});

beforeAll(async () => {
  cli = builtCli();
  api = await startMetadataApiServer({
    answers: {
      '4': { status: 404, body: 'no such token' },
      '6': { body: '{"name": "Broken', contentType: 'application/json' },
      '8': { json: { name: 8 } },
      '9': { json: { ...hero('9'), image_url: 'https://img.test/imx-9.png', level: 9 } },
      '10': { json: { name: 'x'.repeat(17_000) } },
    },
    fallback: ({ tokenId }) => ({ json: hero(tokenId) }),
  });
  server = createZkEvmReferenceServer({
    apiKey: KEY,
    chainName: CHAIN,
    limits: { refreshesPerHour: LIMIT },
    syncDelayMs: 0,
  });
  ({ url } = await server.listen());
}, 60_000);

afterAll(async () => {
  await server.close();
  await api.close();
});

beforeEach(() => server.service.reset());

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(
  args: string[],
  env: Record<string, string> = { IMMUTABLE_API_KEY: KEY },
): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [cli, ...args],
      { env: { PATH: process.env.PATH ?? '', TZ: 'UTC', ...env }, timeout: 20_000 },
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

const local = (base = url) => ['--base-url', base, '--chain-name', CHAIN];

function jsonl(lines: unknown[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'zkevm-cli-'));
  const file = join(dir, 'nfts.jsonl');
  writeFileSync(
    file,
    `${lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n')}\n`,
  );
  return file;
}

/** Runs every case at once (each is its own process); each must exit 1 saying its message. */
async function expectRefusals(cases: [string[], string][]): Promise<void> {
  const results = await Promise.all(cases.map(([args]) => run(args)));
  for (const [index, result] of results.entries()) {
    expect(
      { code: result.code, says: result.stderr.includes(cases[index]?.[1] ?? '') },
      result.stderr,
    ).toEqual({
      code: 1,
      says: true,
    });
  }
}

describe('zkevm push --from-metadata-api', () => {
  it('pushes what it read, reports each token it could not read and why, exits 2', async () => {
    const hits = { good: api.hits('1'), bad: api.hits('4') };
    const result = await run([
      'zkevm',
      'push',
      CONTRACT,
      '1',
      '2',
      '4',
      '6',
      '8',
      '9',
      '10',
      '--from-metadata-api',
      api.url,
      ...local(),
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('');
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe('Pushed 3 NFTs in 1 request: 1 2 9');
    expect(result.stdout).toMatch(/^4\s+invalid_response_status_code\s+HTTP 404 "no such token"$/m);
    expect(result.stdout).toMatch(/^6\s+unable_to_decode_response\s+not a JSON object/m);
    expect(result.stdout).toMatch(/^8\s+invalid_metadata\s+name must be a string or null$/m);
    // The scheduler's code for it: no push can carry it.
    expect(result.stdout).toMatch(
      /^10\s+metadata_too_large\s+must be at most 16384 bytes as JSON$/m,
    );
    expect(result.stdout).toContain(
      'token 9: keys the platform has no field for, not pushed: image_url, level',
    );
    expect(result.stdout).toMatch(
      new RegExp(
        `^Budget: ${LIMIT - 1} of ${LIMIT} refresh requests left; resets \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d \\(UTC\\)$`,
        'm',
      ),
    );
    await server.service.settled();
    // Attributes came from the Metadata API, so the push kept them.
    expect(server.service.nft(CONTRACT, '2')).toMatchObject({
      name: 'Hero 2',
      image: 'https://img.test/2.png',
      attributes: [{ traitType: 'level', value: 2 }],
    });
    expect(server.service.nft(CONTRACT, '4')?.metadataSyncedAt ?? null).toBeNull();
    // The retry: a failing token is read twice, a good one once.
    expect(api.hits('1') - hits.good).toBe(1);
    expect(api.hits('4') - hits.bad).toBe(2);
  });

  it('a Metadata API that does not answer: unable_to_retrieve_metadata; nothing pushed, no budget spent', async () => {
    const closed = await startMetadataApiServer();
    await closed.close();
    const result = await run([
      'zkevm',
      'push',
      CONTRACT,
      '1',
      '--from-metadata-api',
      closed.url,
      '--json',
      ...local(),
    ]);
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout)).toMatchObject({
      pushed: [],
      requests: 0,
      notPushed: [{ tokenId: '1', code: 'unable_to_retrieve_metadata', statusCode: null }],
    });
    expect(server.service.budget().remaining).toBe(LIMIT);
  });

  it('--concurrency: at most that many tokens read at once', async () => {
    // Each answer waits 100 ms, so the reads overlap as far as the limit lets them.
    const slow = await startMetadataApiServer({
      fallback: ({ tokenId }) => ({ json: hero(tokenId), delayMs: 100 }),
    });
    try {
      const ids = ['1', '2', '3', '4', '5', '6'];
      const result = await run([
        'zkevm',
        'push',
        CONTRACT,
        ...ids,
        '--concurrency',
        '2',
        '--from-metadata-api',
        slow.url,
        '--json',
        ...local(),
      ]);
      expect(JSON.parse(result.stdout).pushed).toEqual(ids);
      expect(slow.maxOpen).toBe(2);
    } finally {
      await slow.close();
    }
  });

  it('--json: one document; exit 0 when every token was pushed', async () => {
    const result = await run([
      'zkevm',
      'push',
      CONTRACT,
      '1',
      '2',
      '--from-metadata-api',
      api.url,
      '--json',
      ...local(),
    ]);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report).toEqual({
      contractAddress: CONTRACT,
      pushed: ['1', '2'],
      requests: 1,
      notPushed: [],
      uncertain: [],
      ignoredKeys: [],
      rateLimit: {
        limit: LIMIT,
        remaining: LIMIT - 1,
        resetAt: expect.stringMatching(/^\d{4}-.*Z$/),
        // The reference server's default (window) reading: the time left to the reset.
        retryAfterMs: expect.any(Number),
      },
    });
  });

  it('refuses bad token ids, duplicates and a bad URL before reading anything', async () => {
    const before = api.totalHits;
    const push = (...args: string[]) => ['zkevm', 'push', ...args, ...local()];
    await expectRefusals([
      [push(CONTRACT, '01', '--from-metadata-api', api.url), 'token id "01" must be a uint256'],
      [push(CONTRACT, '3', '3', '--from-metadata-api', api.url), 'token id 3 is given twice'],
      [
        push(CONTRACT, '--from-metadata-api', api.url),
        'Give the token ids to read from the Metadata API',
      ],
      [
        push(CONTRACT, '1', '--from-metadata-api', `${api.url}?a=b`),
        'must not have a query or fragment',
      ],
      [push(CONTRACT, '1', '--from-metadata-api', 'ftp://x.test/m'), 'is not an http(s) URL'],
      [
        push('0x12', '1', '--from-metadata-api', api.url),
        'contract address must be 0x and 40 hex characters',
      ],
      [
        push(CONTRACT, '1', '--from-metadata-api', api.url, '--from-file', 'x'),
        'Give exactly one of --from-metadata-api',
      ],
      [push(CONTRACT, '1'), 'Give exactly one of --from-metadata-api'],
    ]);
    expect(api.totalHits).toBe(before);
  });
});

describe('zkevm push --from-file', () => {
  it('pushes any number, split into requests of 250', async () => {
    const file = jsonl(
      Array.from({ length: 600 }, (_, i) => ({ token_id: String(i + 1), name: `#${i + 1}` })),
    );
    const result = await run([
      'zkevm',
      'push',
      CONTRACT,
      '--from-file',
      file,
      '--json',
      ...local(),
    ]);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.pushed).toHaveLength(600);
    expect(report.requests).toBe(3);
    expect(report.rateLimit.remaining).toBe(LIMIT - 3);
    await server.service.settled();
    // What a line leaves out is cleared: the push replaces the metadata.
    expect(server.service.nft(CONTRACT, '600')).toMatchObject({
      name: '#600',
      image: null,
      attributes: [],
    });
  });

  it('a bad line: names every bad line by number, pushes nothing', async () => {
    const file = jsonl([
      { token_id: '1', name: 'ok' },
      '',
      'not json',
      { token_id: '2', imageUrl: 'https://img.test/2.png' },
      { token_id: '3', attributes: [{ trait_type: 'level', value: [1] }] },
      { token_id: '1', name: 'again' },
    ]);
    const result = await run(['zkevm', 'push', CONTRACT, '--from-file', file, ...local()]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`${file}: 4 bad lines, nothing pushed:`);
    expect(result.stderr).toMatch(/line 3: not JSON/);
    expect(result.stderr).toContain('line 4: has an unknown key "imageUrl"');
    expect(result.stderr).toContain(
      'line 5: attributes[0]: value must be a string, a number or a boolean',
    );
    expect(result.stderr).toContain('line 6: token_id 1 repeats line 1');
    expect(server.service.budget().remaining).toBe(LIMIT);
    expect(server.service.pendingPushes()).toBe(0);
  });

  it('a line over 64 KiB: an error naming it, read no further, nothing pushed', async () => {
    const file = jsonl([
      { token_id: '1', name: 'ok' },
      { token_id: '2', name: 'ok' },
      { token_id: '3', name: 'x'.repeat(1024 * 1024) },
      'not json, never read',
    ]);
    const result = await run(['zkevm', 'push', CONTRACT, '--from-file', file, ...local()]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(
      `${file}: line 3 is longer than 64 KiB (an NFT takes at most 16 KiB), nothing pushed`,
    );
    expect(result.stderr).not.toContain('line 4');
    expect(server.service.budget().remaining).toBe(LIMIT);
  });

  it('/dev/zero: fails fast on its first line, not out of memory', async () => {
    const result = await run(['zkevm', 'push', CONTRACT, '--from-file', '/dev/zero', ...local()]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('/dev/zero: line 1 is longer than 64 KiB');
  });

  it('refuses token ids beside --from-file, and a file it cannot read', async () => {
    const file = jsonl([{ token_id: '1' }]);
    const ids = await run(['zkevm', 'push', CONTRACT, '1', '--from-file', file, ...local()]);
    expect(ids.code).toBe(1);
    expect(ids.stderr).toContain('the file names the tokens');
    const missing = await run([
      'zkevm',
      'push',
      CONTRACT,
      '--from-file',
      '/no/such/file.jsonl',
      ...local(),
    ]);
    expect(missing.stderr).toContain('Cannot read /no/such/file.jsonl: ENOENT');
  });

  it('the budget running out part-way: what was pushed, what was not and why, exit 2', async () => {
    server.service.setRemainingRefreshes(1);
    const file = jsonl(Array.from({ length: 300 }, (_, i) => ({ token_id: String(i + 1) })));
    const text = await run(['zkevm', 'push', CONTRACT, '--from-file', file, ...local()]);
    expect(text.code).toBe(2);
    expect(text.stdout).toMatch(/^Pushed 250 NFTs in 1 request: 1 2 3 /);
    expect(text.stdout).toContain('Not pushed: 50 NFTs');
    expect(text.stdout).toMatch(
      /^300\s+TOO_MANY_REQUESTS_ERROR\s+budget spent until \d{4}-.* \(UTC\)$/m,
    );
    expect(text.stdout).toContain(`Budget: 0 of ${LIMIT} refresh requests left`);
    expect(text.stderr).toMatch(/^error: TOO_MANY_REQUESTS_ERROR: budget spent until/);
    // Nothing left at all: an error, exit 1, with when the budget resets.
    const spent = await run(['zkevm', 'push', CONTRACT, '--from-file', file, ...local()]);
    expect(spent.code).toBe(1);
    expect(spent.stderr).toMatch(/The refresh budget resets at \d{4}-.* \(UTC\)\./);
  });
});

describe('zkevm get and list', () => {
  beforeEach(async () => {
    server.service.mint(CONTRACT, [
      { tokenId: '1', name: 'Sword', attributes: [{ traitType: 'damage', value: 7 }] },
      { tokenId: '2', name: 'Shield' },
      { tokenId: '3', name: 'Bow' },
    ]);
  });

  it('get: the NFT with metadata_synced_at in local time and zone', async () => {
    const nft = server.service.nft(CONTRACT, '1');
    const expected = inTokyo(nft?.metadataSyncedAt as string);
    const result = await run(['zkevm', 'get', CONTRACT, '1', ...local()], {
      IMMUTABLE_API_KEY: KEY,
      TZ: 'Asia/Tokyo',
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^FIELD\s+VALUE$/m);
    expect(result.stdout).toMatch(/^name\s+Sword$/m);
    expect(result.stdout).toMatch(/^attributes\s+damage=7$/m);
    expect(result.stdout).toMatch(/^metadata_id\s+[0-9a-f-]{36}$/m);
    expect(result.stdout).toContain(`metadata_synced_at  ${expected}`);
  });

  it('get --json: the camelCase NFT; an unknown token: the API error, exit 1', async () => {
    const result = await run(['zkevm', 'get', CONTRACT, '2', '--json', ...local()]);
    expect(JSON.parse(result.stdout)).toEqual(server.service.nft(CONTRACT, '2'));
    const restricted = createZkEvmReferenceServer({
      apiKey: KEY,
      chainName: CHAIN,
      collections: [{ address: CONTRACT, tokenIds: ['1'] }],
    });
    const { url: restrictedUrl } = await restricted.listen();
    try {
      const missing = await run(['zkevm', 'get', CONTRACT, '77', ...local(restrictedUrl)]);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toMatch(
        /^error: 404 RESOURCE_NOT_FOUND: .*77.*\ntrace id: [0-9a-f]+\n$/,
      );
      const missingJson = await run([
        'zkevm',
        'get',
        CONTRACT,
        '77',
        '--json',
        ...local(restrictedUrl),
      ]);
      expect(JSON.parse(missingJson.stderr)).toMatchObject({
        error: { status: 404, code: 'RESOURCE_NOT_FOUND', traceId: expect.any(String) },
      });
    } finally {
      await restricted.close();
    }
  });

  it('list: a table, --limit, --from-updated-at, --json', async () => {
    const list = (...args: string[]) => run(['zkevm', 'list', CONTRACT, ...args, ...local()]);
    const [table, limited, future, bad] = await Promise.all([
      list(),
      list('--limit', '2', '--json'),
      list('--from-updated-at', '2999-01-01T00:00:00Z'),
      list('--from-updated-at', 'yesterday'),
    ]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(
      /^TOKEN\s+NAME\s+METADATA SYNCED AT\s+UPDATED AT\n1\s+Sword\s+\d{4}-.* \(UTC\)/,
    );
    expect(table.stdout).toMatch(/^3\s+Bow\s/m);
    expect(JSON.parse(limited.stdout).map((n: { tokenId: string }) => n.tokenId)).toEqual([
      '1',
      '2',
    ]);
    expect(future.stdout).toBe('No NFTs.\n');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('fromUpdatedAt must be a valid Date or an ISO 8601 date-time');
  });
});

describe('the API key', () => {
  it('comes only from IMMUTABLE_API_KEY: never a flag', async () => {
    const get = ['zkevm', 'get', CONTRACT, '1', ...local()];
    const [missing, flag, typo, help] = await Promise.all([
      run(get, {}),
      run([...get, '--api-key', KEY], {}),
      // commander quotes an unknown option back: the key in it is redacted.
      run([...get, `--apikey=${KEY}`]),
      run(['zkevm', 'push', '--help']),
    ]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('Set IMMUTABLE_API_KEY');
    expect(flag.code).toBe(1);
    expect(flag.stderr).toContain(
      'read the API key only from IMMUTABLE_API_KEY, never from a flag',
    );
    expect(typo.code).toBe(1);
    expect(typo.stderr).toContain("unknown option '--apikey=[redacted]'");
    expect(help.stdout).toContain('--from-metadata-api');
    expect(help.stdout).not.toMatch(/api-key/);
  });

  it('a wrong key: the API error, exit 1', async () => {
    const result = await run(
      ['zkevm', 'push', CONTRACT, '1', '--from-metadata-api', api.url, ...local()],
      { IMMUTABLE_API_KEY: 'sk_imapik-test-another-project' },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: 40[13] (UNAUTHORISED_REQUEST|AUTHENTICATION_ERROR): /);
    expect(result.stderr).not.toContain('another-project');
  });

  it('a server that echoes the key in its error, headers and body: never printed', async () => {
    const echo = await serveOnLoopback((req, res) => {
      const key = String(req.headers['x-immutable-api-key']);
      res
        .writeHead(400, {
          'content-type': 'application/json',
          'x-echo': key,
        })
        .end(
          JSON.stringify({
            message: `bad key ${key}`,
            code: 'VALIDATION_ERROR',
            link: `https://docs.test/?key=${key}`,
            trace_id: key,
            details: { key },
          }),
        );
    });
    try {
      const file = jsonl([{ token_id: '1', name: 'x' }]);
      const results = await Promise.all(
        [
          ['zkevm', 'push', CONTRACT, '--from-file', file, ...local(echo.url)],
          ['zkevm', 'push', CONTRACT, '--from-file', file, '--json', ...local(echo.url)],
          ['zkevm', 'get', CONTRACT, '1', ...local(echo.url)],
          ['zkevm', 'list', CONTRACT, '--json', ...local(echo.url)],
        ].map((args) => run(args)),
      );
      for (const result of results) {
        expect(result.code).toBe(1);
        expect(result.stderr).toContain('[redacted]');
        expect(`${result.stdout}${result.stderr}`).not.toContain(KEY);
      }
    } finally {
      await echo.close();
    }
  });

  it('appears in no output of any command of this file', () => {
    expect(printed.length).toBeGreaterThan(20);
    expect(printed.filter((text) => text.includes(KEY))).toEqual([]);
    expect(printed.filter((text) => text.includes('sk_imapik-test-9c1d'))).toEqual([]);
  });
});

describe('connection options', () => {
  it('--environment or --base-url with --chain-name; clear errors otherwise', async () => {
    const get = (...args: string[]) => ['zkevm', 'get', CONTRACT, '1', ...args];
    await expectRefusals([
      [get('--base-url', url), '--base-url needs --chain-name'],
      [get('--chain-name', CHAIN), '--chain-name goes with --base-url'],
      [get('--environment', 'testnet'), '--environment must be production or sandbox, got testnet'],
      [get('--environment', 'sandbox', ...local()), 'Give --environment or --base-url, not both'],
    ]);
  });
});

describe('the progress bar', () => {
  it('on a TTY: reading, then pushing, then the report', async () => {
    const out = Object.assign(new PassThrough(), { isTTY: true, columns: 100 });
    let text = '';
    out.on('data', (chunk: Buffer) => {
      text += chunk.toString();
    });
    const err = new PassThrough();
    const io = { out, err, env: { IMMUTABLE_API_KEY: KEY } };
    const connection = zkEvmConnect({ baseUrl: url, chainName: CHAIN }, io.env);
    const code = await zkevmPushCommand(
      connection,
      CONTRACT,
      ['1', '2', '4'],
      { fromMetadataApi: api.url },
      io,
    );
    expect(code).toBe(2);
    expect(text).toMatch(/\d\/3 tokens \| reading the Metadata API/);
    expect(text).toMatch(/2\/2 tokens \| pushing/);
    expect(text).toContain('Pushed 2 NFTs in 1 request: 1 2');
  });

  it('in 40 columns: every redraw fits, with the count and the phase', async () => {
    const out = Object.assign(new PassThrough(), { isTTY: true, columns: 40 });
    let text = '';
    out.on('data', (chunk: Buffer) => {
      text += chunk.toString();
    });
    const io = { out, err: new PassThrough(), env: { IMMUTABLE_API_KEY: KEY } };
    const connection = zkEvmConnect({ baseUrl: url, chainName: CHAIN }, io.env);
    await zkevmPushCommand(connection, CONTRACT, ['1', '2', '4'], { fromMetadataApi: api.url }, io);
    // The bar's part of the output, before the report (a table a terminal may wrap).
    const bar = replayOnScreen(text.slice(0, text.indexOf('Pushed')), 40);
    expect(bar.pastEdge).toBe(0);
    expect(text).toMatch(/ [=-]{17} \d\/3 tokens \| reading(?!\w)/);
    expect(bar.rows).toContainEqual(` ${'='.repeat(17)} 2/2 tokens | pushing`);
  });
});
