import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReferenceServer, type ReferenceServer } from '../../src/server/index.js';
import { builtCli } from '../support/built-cli.js';
import { COLLECTION, inTokyo, OWNER, PRIVATE_KEY } from '../support/fixtures.js';

let cli: string;
let server: ReferenceServer;
let url: string;

beforeAll(async () => {
  cli = builtCli();
  server = createReferenceServer({
    owner: OWNER,
    collections: [{ address: COLLECTION, metadataApiUrl: 'http://metadata.test' }],
    limits: { refreshesPerHour: 6 },
    fetchMetadata: async ({ tokenId }) =>
      tokenId.startsWith('bad')
        ? { status: 404, body: 'nope' }
        : { status: 200, body: '{"name":"x"}' },
  });
  ({ url } = await server.listen());
}, 60_000);
afterAll(() => server.close());

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(
  args: string[],
  env: Record<string, string> = { IMX_PRIVATE_KEY: PRIVATE_KEY },
): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [cli, ...args],
      { env: { PATH: process.env.PATH ?? '', TZ: 'UTC', ...env }, timeout: 20_000 },
      (error, stdout, stderr) => {
        resolve({
          code: error ? Number((error as { code?: number }).code ?? 1) : 0,
          stdout,
          stderr,
        });
      },
    );
  });
}

const api = () => ['--base-url', url];

describe('the imx-metadata-refresh bin', () => {
  let refreshId: string;

  it('request: prints the refresh and the budget left', async () => {
    const result = await run(['request', COLLECTION, '1', '2', 'bad-1', ...api()]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^REFRESH ID\s+TOKENS\n[0-9a-f-]{36}\s+3\n/);
    expect(result.stdout).toContain('5 of 6 refresh requests left; resets ');
    refreshId = /([0-9a-f-]{36})/.exec(result.stdout)?.[1] as string;
    await server.service.settled();
  });

  it('status --json: one JSON document', async () => {
    const result = await run(['status', refreshId, '--json', ...api()]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      refreshId,
      status: 'completed',
      summary: { succeeded: 2, failed: 1, pending: 0 },
    });
  });

  it('status: a readable table', async () => {
    const result = await run(['status', refreshId, ...api()]);
    expect(result.stdout).toMatch(/status\s+completed/);
    expect(result.stdout).toMatch(/failed\s+1/);
  });

  it('errors: a table, and JSON lines with --json', async () => {
    const table = await run(['errors', refreshId, ...api()]);
    expect(table.stdout).toMatch(/bad-1\s+invalid_response_status_code\s+404\s+"nope"/);
    const lines = await run(['errors', refreshId, '--json', ...api()]);
    const rows = lines.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows).toEqual([
      expect.objectContaining({ tokenId: 'bad-1', errorCode: 'invalid_response_status_code' }),
    ]);
  });

  it('watch: exit code 2 when some tokens failed, 0 when none did', async () => {
    const failed = await run(['watch', refreshId, ...api()]);
    expect(failed.code).toBe(2);
    expect(failed.stdout).toContain('completed: 2 succeeded, 1 failed, 0 pending');
    const clean = await run(['request', COLLECTION, '9', '--json', ...api()]);
    const id = JSON.parse(clean.stdout).refreshes[0].refreshId;
    await server.service.settled();
    expect((await run(['watch', id, '-i', '10', ...api()])).code).toBe(0);
    const json = await run(['watch', id, '--json', ...api()]);
    expect(JSON.parse(json.stdout)).toMatchObject({ refreshId: id, status: 'completed' });
  });

  it('request --from-file: any count, split into requests of 1000', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'imx-cli-'));
    const file = join(dir, 'ids.txt');
    writeFileSync(
      file,
      `# level-ups\n${Array.from({ length: 2500 }, (_, i) => `t${i}`).join('\n')}\n\n`,
    );
    const result = await run(['request', COLLECTION, '--from-file', file, '--json', ...api()]);
    expect(result.code).toBe(0);
    const { refreshes } = JSON.parse(result.stdout);
    expect(refreshes.map((r: { tokenIds: string[] }) => r.tokenIds.length)).toEqual([
      1000, 1000, 500,
    ]);
  });

  it('request --from-file streams: /dev/zero and an overlong line fail fast, naming the line; nothing is sent', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'imx-cli-'));
    const long = join(dir, 'long.txt');
    writeFileSync(long, `1\r\n2\n${'9'.repeat(2000)}\n3\n`);
    const before = server.service.rateLimitHeaders();
    const [zero, overlong] = await Promise.all([
      run(['request', COLLECTION, '--from-file', '/dev/zero', ...api()]),
      run(['request', COLLECTION, '--from-file', long, ...api()]),
    ]);
    expect(zero.code).toBe(1);
    expect(zero.stderr).toContain(
      '/dev/zero: line 1 is longer than 1024 bytes, which no token id is; nothing requested',
    );
    expect(overlong.code).toBe(1);
    expect(overlong.stderr).toContain(`${long}: line 3 is longer than 1024 bytes`);
    // No refresh request was made: the budget is untouched.
    expect(server.service.rateLimitHeaders()).toEqual(before);
  });

  it('list: newest first, filterable', async () => {
    const result = await run(['list', '--collection', COLLECTION, '--json', ...api()]);
    const items = JSON.parse(result.stdout);
    expect(items).toHaveLength(5);
    expect(items[4].refreshId).toBe(refreshId);
  });

  it('prints every time in local time with the zone; --json keeps ISO 8601', async () => {
    const tokyo = { IMX_PRIVATE_KEY: PRIVATE_KEY, TZ: 'Asia/Tokyo' };
    const [json, status, list, watch, request] = await Promise.all([
      run(['status', refreshId, '--json', ...api()], tokyo),
      run(['status', refreshId, ...api()], tokyo),
      run(['list', ...api()], tokyo),
      run(['watch', refreshId, ...api()], tokyo),
      run(['request', COLLECTION, '1', ...api()], tokyo),
    ]);
    const { startedAt, completedAt } = JSON.parse(json.stdout);
    for (const iso of [startedAt, completedAt])
      expect(iso).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    const value = (field: string) =>
      status.stdout
        .split('\n')
        .find((line) => line.startsWith(`${field} `))
        ?.slice(field.length)
        .trim();
    expect(value('started')).toBe(inTokyo(startedAt));
    expect(value('completed')).toBe(inTokyo(completedAt));
    expect(list.stdout.split('\n').find((line) => line.startsWith(refreshId))).toContain(
      `  ${inTokyo(startedAt)}  ${inTokyo(completedAt)}`,
    );
    expect(watch.stdout).toContain(`Refresh ${refreshId} completed at ${inTokyo(completedAt)}\n`);
    expect(request.stdout).toMatch(/resets \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(Asia\/Tokyo\)$/m);
  });

  it('a 429 says when the budget resets, in local time, and exits non-zero', async () => {
    server.service.setRemainingRefreshes(0);
    const result = await run(['request', COLLECTION, '1', ...api()]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('error: refresh_limit_exceeded: Refresh limit exceeded');
    expect(result.stderr).toMatch(
      /The refresh budget resets at \d{4}-\d\d-\d\d \d\d:00:00 \(UTC\)/,
    );
  });

  it('API errors print the code and message', async () => {
    const result = await run(['status', 'no-such-refresh', ...api()]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('error: 404 not_found: Refresh no-such-refresh not found\n');
    const json = await run(['status', 'no-such-refresh', '--json', ...api()]);
    expect(JSON.parse(json.stderr)).toEqual({
      error: { status: 404, code: 'not_found', message: 'Refresh no-such-refresh not found' },
    });
  });

  it('takes the key only from IMX_PRIVATE_KEY', async () => {
    const result = await run(['list', ...api()], {});
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Set IMX_PRIVATE_KEY');
    const help = await run(['request', '--help']);
    expect(help.stdout).not.toMatch(/private|key/i);
  });

  it('refuses bad input before sending', async () => {
    const result = await run(['request', '0x123', '1', ...api()]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('collectionAddress must be 0x followed by 40 hex characters');
  });
});
