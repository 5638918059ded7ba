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

describe('npm run demo:zkevm', () => {
  it('reads the heroes from the Metadata API, pushes them, waits until synced, reads them back', async () => {
    const { out, text } = capture();
    const { report, nfts } = await runZkEvmDemo({ out, pollIntervalMs: 20 });
    expect(report.pushed).toEqual(['1', '2', '3']);
    expect(report.requests).toBe(1);
    expect(report.notPushed).toEqual([
      expect.objectContaining({
        tokenId: '4',
        code: 'invalid_response_status_code',
        statusCode: 404,
      }),
    ]);
    // Each hero one level up, its other attribute kept: the Metadata API serves attributes.
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
    const printed = text();
    expect(printed).toMatch(/^ {2}token 1 {2}Aria #1 {2}level=10, attack=47$/m);
    expect(printed).toContain('Pushed 3 NFTs in 1 request: 1 2 3');
    expect(printed).toMatch(/^4\s+invalid_response_status_code\s+HTTP 404/m);
    expect(printed).toMatch(
      /^1\s+Aria #1\s+level=11, attack=47\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(.+\)$/m,
    );
    expect(printed).toMatch(/^Budget {3}99 of 100 refresh requests left; resets /m);
    // The throwaway key is never shown.
    expect(printed).not.toMatch(/sk_imapik-test-[0-9a-f]/);
  });

  it('`demo --zkevm` runs it from the bin, in a few seconds', async () => {
    const cli = builtCli();
    const started = Date.now();
    const { code, stdout } = await new Promise<{ code: number; stdout: string }>((resolve) => {
      execFile(
        process.execPath,
        [cli, 'demo', '--zkevm'],
        { env: { PATH: process.env.PATH ?? '', TZ: 'UTC' }, timeout: 25_000 },
        (error, out) =>
          resolve({
            code: error ? Number((error as { code?: number }).code ?? 1) : 0,
            stdout: out,
          }),
      );
    });
    const seconds = (Date.now() - started) / 1000;
    expect(code).toBe(0);
    expect(stdout).toContain('Pushed 3 NFTs in 1 request: 1 2 3');
    expect(stdout).toMatch(/^3\s+Cass #3\s+level=13, attack=61\s+\d{4}-.* \(UTC\)$/m);
    // Generous for a loaded machine: about 4 s at a load average of 9 (Node starting, a 0.5 s sync).
    expect(seconds).toBeLessThan(20);
  }, 40_000);
});
