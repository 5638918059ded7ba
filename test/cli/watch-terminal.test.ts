/**
 * `watch` in a pseudo-terminal: Ctrl-C or SIGTERM mid-progress leaves the cursor shown and line
 * wrap on; in 40 columns every line fits and the counts stay on screen.
 */
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MetadataRefreshClient } from '../../src/index.js';
import { createReferenceServer, type ReferenceServer } from '../../src/server/index.js';
import { builtCli } from '../support/built-cli.js';
import { COLLECTION, inTokyo, OWNER, PRIVATE_KEY } from '../support/fixtures.js';
import { replayOnScreen } from '../support/terminal-screen.js';

// Runs the command on a pty (argv[2] columns wide, unless 0), waits for the bar, sends the signal
// (argv[1], unless '-'), and prints the exit status and everything the terminal received
// (base64) as JSON.
const PTY = `
import base64, fcntl, json, os, pty, select, signal, struct, sys, termios, time
sig = None if sys.argv[1] == '-' else getattr(signal, sys.argv[1])
columns = int(sys.argv[2])
pid, fd = pty.fork()
if pid == 0:
    if columns:
        # Set before the program starts, so its first look at the width sees it.
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack('HHHH', 24, columns, 0, 0))
    os.execv(sys.argv[3], sys.argv[3:])
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
    if sig is not None and not sent and b'pending' in out:
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
    // Tokens stay pending until the end of the file (the refresh never completes under watch),
    // except `done-N` and `fail-N`, answered after N × 300 ms.
    fetchMetadata: async ({ tokenId }) => {
      const [kind, n] = tokenId.split('-');
      if (kind !== 'done' && kind !== 'fail') await never;
      await new Promise((resolve) => setTimeout(resolve, Number(n) * 300));
      return kind === 'fail'
        ? { status: 404, body: 'nope' }
        : { status: 200, body: '{"name":"x"}' };
    },
  });
  ({ url } = await server.listen());
}, 60_000);
afterAll(async () => {
  release();
  await server.close();
});

function watchOnPty(
  signal: 'SIGINT' | 'SIGTERM' | '-',
  refreshId: string,
  { columns = 0, env = {} }: { columns?: number; env?: Record<string, string> } = {},
) {
  return new Promise<{ sent: boolean; code: number; out: string }>((resolve, reject) => {
    execFile(
      'python3',
      [
        '-c',
        PTY,
        signal,
        String(columns),
        process.execPath,
        cli,
        'watch',
        refreshId,
        '--base-url',
        url,
        '--interval-ms',
        '100',
      ],
      {
        env: { PATH: process.env.PATH ?? '', IMX_PRIVATE_KEY: PRIVATE_KEY, ...env },
        timeout: 25_000,
      },
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

describe('watch in a 40-column terminal', () => {
  it('every line fits: the bar shrinks, the labels shorten, the counts stay on screen', async () => {
    const client = new MetadataRefreshClient({ signer: PRIVATE_KEY, baseURL: url });
    const { refreshId } = await client.requestRefresh({
      collectionAddress: COLLECTION,
      tokenIds: ['done-1', 'done-2', 'fail-3'],
    });
    const result = await watchOnPty('-', refreshId, { columns: 40, env: { TZ: 'Asia/Tokyo' } });
    expect(result.code).toBe(2);
    const screen = replayOnScreen(result.out, 40);
    // Nothing reached past the edge, on any redraw: nothing cut off, nothing wrapped.
    expect(screen.pastEdge).toBe(0);
    expect(screen.rows.filter((row) => row.length > 40)).toEqual([]);
    // The bar's last redraw, left on screen: the counts, and a bar still.
    expect(screen.rows).toContainEqual(' ========== 3/3 ok 2 failed 1 pending 0');
    // The closing lines, broken at spaces: the id in one piece.
    const text = screen.rows.join(' ');
    const { completedAt } = await client.getRefresh(refreshId);
    expect(text).toContain(`Refresh ${refreshId} completed at ${inTokyo(completedAt as string)}`);
    expect(text).toContain(`Run: imx-metadata-refresh errors ${refreshId}`);
  });
});
