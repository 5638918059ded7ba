/**
 * A Metadata API whose bodies never end, against the reference server with its default body cap
 * and concurrency, each in a process of its own so the engine's memory is measured alone. The
 * per-attempt timeout is set to minutes, so nothing but the 1 MiB cap can end an attempt: every
 * one is seen to stop at the cap, each token fails with the code for its status, and the
 * engine's RSS stays far below what the hostile server offered.
 */
import { type ChildProcess, execFile, fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import type { RefreshError } from '../../src/index.js';
import { DEFAULT_MAX_METADATA_BYTES, MAX_ERROR_BODY_LENGTH } from '../../src/server/index.js';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const ROOT = here('../..');
const MIB = 1024 * 1024;
/** Each attempt may hold one capped body plus stream buffers; 16 at once. Far below the offer. */
const RSS_BUDGET = 100 * MIB;

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill();
});

async function startHostileApi(): Promise<{ url: string; child: ChildProcess }> {
  const child = fork(here('./hostile/endless-metadata-api.ts'), [], {
    cwd: ROOT,
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  children.push(child);
  const [line] = (await once(child.stdout as NodeJS.ReadableStream, 'data')) as [Buffer];
  return { url: (JSON.parse(line.toString()) as { url: string }).url, child };
}

async function stats(
  child: ChildProcess,
): Promise<{ taken: number; requests: number; offeredPerToken: number }> {
  const reply = once(child, 'message');
  child.send('stats');
  return (await reply)[0];
}

describe('a Metadata API streaming endless bodies for 16 tokens', () => {
  it('fails each token at the cap with the right code, the engine RSS growing far less than the offer', async () => {
    const { url, child } = await startHostileApi();
    const chunked = Array.from({ length: 6 }, (_, i) => `chunked-${i}`);
    const declared = Array.from({ length: 5 }, (_, i) => `declared-${i}`);
    const failing = Array.from({ length: 5 }, (_, i) => `error-${i}`);
    const tokenIds = [...chunked, ...declared, ...failing];
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        '--expose-gc',
        '--import',
        'tsx',
        here('./hostile/refresh-in-child.ts'),
        url,
        tokenIds.join(','),
      ],
      { cwd: ROOT, maxBuffer: 16 * MIB },
    );
    const result = JSON.parse(stdout.trim().split('\n').pop() as string) as {
      summary: { succeeded: number; failed: number; pending: number };
      errors: RefreshError[];
      attempts: { tokenId: string; ms: number; status: number | null; truncated: boolean }[];
      elapsedMs: number;
      rssGrowth: number;
    };
    const offered = await stats(child);

    expect(result.summary).toEqual({ succeeded: 0, failed: 16, pending: 0 });
    const byToken = new Map(result.errors.map((e) => [e.tokenId, e]));
    for (const id of [...chunked, ...declared]) {
      expect(byToken.get(id)).toMatchObject({
        errorCode: 'unable_to_decode_response',
        clientResponseStatusCode: 200,
      });
      expect(byToken.get(id)?.clientResponseBody).toBe(
        `{"name":"${'a'.repeat(MAX_ERROR_BODY_LENGTH - 9)}`,
      );
    }
    for (const id of failing) {
      expect(byToken.get(id)).toMatchObject({
        errorCode: 'invalid_response_status_code',
        clientResponseStatusCode: 500,
      });
      expect(byToken.get(id)?.clientResponseBody).toHaveLength(MAX_ERROR_BODY_LENGTH);
    }
    // Two attempts per token (one retry), plus the child's warm-up request.
    expect(offered.requests).toBe(2 * tokenIds.length + 1);
    // What the engine pulled off the sockets: at least one cap, about one cap per attempt, not the
    // endless body.
    expect(offered.taken).toBeGreaterThan(DEFAULT_MAX_METADATA_BYTES);
    expect(offered.taken).toBeLessThan(offered.requests * (DEFAULT_MAX_METADATA_BYTES + 8 * MIB));
    expect(result.rssGrowth).toBeLessThan(RSS_BUDGET);
    console.info(
      `hostile Metadata API: offered ${declared.length * 2} x 4 GiB declared + ${(chunked.length + failing.length) * 2} endless bodies; ` +
        `engine pulled ${(offered.taken / MIB).toFixed(1)} MiB in ${offered.requests} requests, ` +
        `RSS grew ${(result.rssGrowth / MIB).toFixed(1)} MiB, refresh took ${result.elapsedMs.toFixed(0)} ms, slowest attempt ${Math.max(...result.attempts.map((a) => a.ms))} ms`,
    );
  }, 60_000);
});
