/** `watch` in a pseudo-terminal: Ctrl-C or SIGTERM mid-progress leaves the cursor shown and line wrap on. */
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MetadataRefreshClient } from '../../src/index.js';
import { createReferenceServer, type ReferenceServer } from '../../src/server/index.js';
import { builtCli } from '../support/built-cli.js';
import { COLLECTION, OWNER, PRIVATE_KEY } from '../support/fixtures.js';

// Runs the command on a pty, waits for the bar, sends the signal, and prints the exit status and
// everything the terminal received (base64) as JSON.
const PTY = `
import base64, json, os, pty, select, signal, sys, time
sig = getattr(signal, sys.argv[1])
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
out = b''
deadline = time.time() + 20
sent = False
while time.time() < deadline:
    ready, _, _ = select.select([fd], [], [], 0.1)
    if ready:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    if not sent and b'pending' in out:
        os.kill(pid, sig)
        sent = True
_, status = os.waitpid(pid, 0)
print(json.dumps({'sent': sent, 'code': os.waitstatus_to_exitcode(status), 'out': base64.b64encode(out).decode()}))
`;

let cli: string;
let server: ReferenceServer;
let url: string;
let release: () => void = () => {};
const never = new Promise<void>((resolve) => {
  release = resolve;
});

beforeAll(async () => {
  cli = builtCli();
  server = createReferenceServer({
    owner: OWNER,
    collections: [{ address: COLLECTION, metadataApiUrl: 'http://metadata.test' }],
    // Tokens stay pending until the end of the file: the refresh never completes under watch.
    fetchMetadata: async () => {
      await never;
      return { status: 200, body: '{"name":"x"}' };
    },
  });
  ({ url } = await server.listen());
}, 60_000);
afterAll(async () => {
  release();
  await server.close();
});

function watchOnPty(signal: 'SIGINT' | 'SIGTERM', refreshId: string) {
  return new Promise<{ sent: boolean; code: number; out: string }>((resolve, reject) => {
    execFile(
      'python3',
      [
        '-c',
        PTY,
        signal,
        process.execPath,
        cli,
        'watch',
        refreshId,
        '--base-url',
        url,
        '--interval-ms',
        '100',
      ],
      { env: { PATH: process.env.PATH ?? '', IMX_PRIVATE_KEY: PRIVATE_KEY }, timeout: 25_000 },
      (error, stdout) => {
        if (error) reject(error);
        else {
          const parsed = JSON.parse(stdout) as { sent: boolean; code: number; out: string };
          resolve({ ...parsed, out: Buffer.from(parsed.out, 'base64').toString('latin1') });
        }
      },
    );
  });
}

const HIDE = '\x1b[?25l';
const SHOW = '\x1b[?25h';
const WRAP_OFF = '\x1b[?7l';
const WRAP_ON = '\x1b[?7h';

describe('watch on a terminal', () => {
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    it(`${signal}: cursor shown and line wrap on after the bar, exit ${code}`, async () => {
      const client = new MetadataRefreshClient({ signer: PRIVATE_KEY, baseURL: url });
      const { refreshId } = await client.requestRefresh({
        collectionAddress: COLLECTION,
        tokenIds: ['1', '2'],
      });
      const result = await watchOnPty(signal, refreshId);
      expect(result.sent).toBe(true);
      // The bar did hide the cursor and turn wrap off: else this test would prove nothing.
      expect(result.out).toContain(HIDE);
      expect(result.out).toContain(WRAP_OFF);
      expect(result.out.lastIndexOf(SHOW)).toBeGreaterThan(result.out.lastIndexOf(HIDE));
      expect(result.out.lastIndexOf(WRAP_ON)).toBeGreaterThan(result.out.lastIndexOf(WRAP_OFF));
      expect(result.code).toBe(code);
    });
  }
});
