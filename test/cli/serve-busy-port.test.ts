/** `serve --demo` on a port in use: it fails before printing any throwaway key, and exits. */
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServe } from '../../src/cli/serve.js';
import { type LoopbackServer, serveOnLoopback } from '../../src/server/loopback.js';
import { builtCli } from '../support/built-cli.js';

let cli: string;
let busy: LoopbackServer;
let port: number;

beforeAll(async () => {
  cli = builtCli();
  busy = await serveOnLoopback(() => {});
  port = busy.port;
}, 60_000);
afterAll(() => busy.close());

describe('serve on a busy port', () => {
  it('startServe rejects without logging a line', async () => {
    const lines: string[] = [];
    await expect(
      startServe({ port, host: '127.0.0.1', demo: true, collections: [] }, (line) =>
        lines.push(line),
      ),
    ).rejects.toThrow(/EADDRINUSE/);
    expect(lines).toEqual([]);
  });

  it('the built bin: exit 1 naming the address, and no key on any stream', async () => {
    const result = await new Promise<{ code: number; stdout: string; stderr: string }>(
      (resolve) => {
        execFile(
          process.execPath,
          [cli, 'serve', '--demo', '--port', String(port)],
          { env: { PATH: process.env.PATH ?? '' }, timeout: 20_000 },
          (error, stdout, stderr) =>
            resolve({
              code: error ? Number((error as { code?: number }).code ?? 1) : 0,
              stdout,
              stderr,
            }),
        );
      },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`EADDRINUSE`);
    expect(result.stderr).toContain(`127.0.0.1:${port}`);
    const all = result.stdout + result.stderr;
    for (const leak of ['IMX_PRIVATE_KEY', 'IMMUTABLE_API_KEY', 'sk_imapik', 'Throwaway', '0x'])
      expect(all).not.toContain(leak);
  });
});
