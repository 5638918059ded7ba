import { execFile } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runZkEvmDemo } from '../../src/cli/zkevm-demo.js';
import { builtCli } from '../support/built-cli.js';

function capture() {
  const out = new PassThrough();
  let text = '';
  out.on('data', (chunk: Buffer) => {
    text += chunk.toString();
  });
  return { out, text: () => text };
}

describe('npm run demo (zkEVM)', () => {
  it('levels heroes up through the scheduler, confirms them by metadataSyncedAt, learns the budget', async () => {
    const { out, text } = capture();
    const { events, nfts, budget } = await runZkEvmDemo({ out, pollIntervalMs: 20 });
    // One push of the three heroes; each confirmed, none failed.
    expect(events.filter((e) => e.type === 'batchSent')).toEqual([
      expect.objectContaining({ tokenIds: ['1', '2', '3'] }),
    ]);
    expect(
      events
        .filter((e) => e.type === 'tokenSucceeded')
        .map((e) => e.tokenId)
        .sort(),
    ).toEqual(['1', '2', '3']);
    expect(events.some((e) => e.type === 'tokenFailed' || e.type === 'error')).toBe(false);
    // Each hero one level up, its other attribute kept, and the sync after the push.
    expect(nfts.map((n) => [n.tokenId, n.attributes])).toEqual(
      [1, 2, 3].map((n) => [
        String(n),
        [
          { traitType: 'level', value: 10 + n },
          { traitType: 'attack', value: 40 + 7 * n },
        ],
      ]),
    );
    for (const nft of nfts) expect(nft.metadataSyncedAt).not.toBeNull();
    // The reference server's default budget, learned from the one answer.
    expect(budget).toMatchObject({ limit: 100, remaining: 99 });
    const printed = text();
    expect(printed).toMatch(/^ {2}token 1 {2}Aria #1 {2}level=10, attack=47$/m);
    expect(printed).toContain('Budget before        not known yet: the first push goes alone');
    expect(printed).toMatch(/pushed 1, 2 and 3 in one request: accepted$/m);
    expect(printed).toMatch(/token 3 confirmed: metadata_synced_at shows the push$/m);
    expect(printed).toMatch(
      /^1\s+Aria #1\s+level=11, attack=47\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(.+\)$/m,
    );
    expect(printed).toMatch(/^Budget learned {7}99 of 100 pushes left; the window ends /m);
    // The throwaway key is never shown.
    expect(printed).not.toMatch(/sk_imapik-test-[0-9a-f]/);
  });

  it('`demo` runs it from the bin, in a few seconds (and `demo --zkevm` still does)', async () => {
    const cli = builtCli();
    const demo = (args: string[]) =>
      new Promise<{ code: number; stdout: string; seconds: number }>((resolve) => {
        const started = Date.now();
        execFile(
          process.execPath,
          [cli, ...args],
          { env: { PATH: process.env.PATH ?? '', TZ: 'UTC' }, timeout: 25_000 },
          (error, out) =>
            resolve({
              code: error ? Number((error as { code?: number }).code ?? 1) : 0,
              stdout: out,
              seconds: (Date.now() - started) / 1000,
            }),
        );
      });
    const [plain, flagged] = await Promise.all([demo(['demo']), demo(['demo', '--zkevm'])]);
    for (const run of [plain, flagged]) {
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/pushed 1, 2 and 3 in one request: accepted$/m);
      expect(run.stdout).toMatch(/^3\s+Cass #3\s+level=13, attack=61\s+\d{4}-.* \(UTC\)$/m);
      // Generous for a loaded machine: about 3 s here (Node starting, a 0.5 s sync).
      expect(run.seconds).toBeLessThan(20);
    }
  }, 40_000);
});
