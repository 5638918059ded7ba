/**
 * Ctrl-C during `zkevm push` and `request`: the built bin against a server that accepts two
 * requests and holds the third; SIGINT is sent once the third has arrived. The bin must print
 * what was accepted, what was not sent and what is uncertain, then exit 130.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtCli } from '../support/built-cli.js';
import { COLLECTION, PRIVATE_KEY } from '../support/fixtures.js';

const KEY = 'sk_imapik-test-9c1d7f0b2a4e6c8d0f1a3b5c7d9e1f2a';
const CHAIN = 'imtbl-zkevm-testnet';
const CONTRACT = '0x8a90cab2b38dba80c64b7734e58ee1db38b8992e';
/** 850 NFTs: requests of 250, 250, 250 (held) and 100 (never sent). */
const IDS = Array.from({ length: 850 }, (_, i) => String(i + 1));
const FIRST_TWO = IDS.slice(0, 500);
const THIRD = IDS.slice(500, 750);
const REST = IDS.slice(750);

let cli: string;
let file: string;
let idFile: string;
/** 3500 Immutable X ids: requests of 1000, 1000, 1000 (held) and 500 (never sent). */
const IMX_IDS = Array.from({ length: 3500 }, (_, i) => String(i + 1));
let server: Server;
let url: string;
/** Resolved when a push arrives that the server holds; reset per run. */
let held: () => void = () => {};
let pushes = 0;
const hanging: ServerResponse[] = [];

beforeAll(async () => {
  cli = builtCli();
  file = join(mkdtempSync(join(tmpdir(), 'imx-interrupt-')), 'nfts.jsonl');
  writeFileSync(
    file,
    IDS.map((id) => JSON.stringify({ token_id: id, name: `Hero ${id}` })).join('\n'),
  );
  idFile = join(file, '..', 'ids.txt');
  writeFileSync(idFile, IMX_IDS.join('\n'));
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on('end', () => {
      if (req.method !== 'POST') {
        res.writeHead(404).end();
        return;
      }
      pushes += 1;
      if (pushes % 3 !== 0) {
        // A zkEVM push ignores the body; an Immutable X request needs its refresh id.
        res
          .writeHead(202, { 'content-type': 'application/json' })
          .end(JSON.stringify({ refresh_id: `refresh-${pushes}` }));
        return;
      }
      // The third push of a run: never answered.
      hanging.push(res);
      held();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 60_000);

afterAll(async () => {
  for (const res of hanging) res.destroy();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** Runs `zkevm push` and sends SIGINT once the third push reached the server. */
function interruptedPush(extra: string[], signal: NodeJS.Signals = 'SIGINT') {
  return interrupted(
    ['zkevm', 'push', CONTRACT, '--from-file', file, '--base-url', url, '--chain-name', CHAIN],
    extra,
    { IMMUTABLE_API_KEY: KEY },
    signal,
  );
}

/** Runs the bin and sends SIGINT once the third request reached the server. */
async function interrupted(
  args: string[],
  extra: string[],
  env: Record<string, string>,
  signal: NodeJS.Signals = 'SIGINT',
) {
  pushes = 0;
  const arrived = new Promise<void>((resolve) => {
    held = resolve;
  });
  const child = spawn(process.execPath, [cli, ...args, ...extra], {
    env: { PATH: process.env.PATH ?? '', TZ: 'UTC', ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) =>
    child.on('close', (code) => resolve(code)),
  );
  await arrived;
  child.kill(signal);
  const code = await exited;
  return { code, stdout, stderr };
}

describe('zkevm push interrupted by SIGINT', () => {
  it('prints the pushed, uncertain and unsent ids, then exits 130', async () => {
    const { code, stdout, stderr } = await interruptedPush([]);
    expect(stderr).toContain('SIGINT: sending no more requests');
    expect(stdout).toContain(
      'Interrupted (SIGINT): stopped sending; 500 pushed, 250 uncertain, 100 not sent.',
    );
    expect(stdout).toContain(`Pushed 500 NFTs in 2 requests: ${FIRST_TWO.join(' ')}\n`);
    expect(stdout).toContain(
      `Uncertain (may have been pushed; check with zkevm get): ${THIRD.join(' ')}\n`,
    );
    expect(stdout).toContain('Not pushed: 100 NFTs\n');
    for (const id of REST)
      expect(stdout).toMatch(
        new RegExp(`^${id} +INTERRUPTED +interrupted before it was sent$`, 'm'),
      );
    expect(code).toBe(130);
  }, 30_000);

  it('prints one JSON object with --json, then exits 130', async () => {
    const { code, stdout } = await interruptedPush(['--json']);
    const report = JSON.parse(stdout);
    expect(report).toMatchObject({
      contractAddress: CONTRACT,
      pushed: FIRST_TWO,
      requests: 2,
      uncertain: THIRD,
      notPushed: REST.map((tokenId) => ({
        tokenId,
        code: 'INTERRUPTED',
        message: 'interrupted before it was sent',
      })),
      interrupted: 'SIGINT',
    });
    expect(report.error).toBeUndefined();
    expect(code).toBe(130);
  }, 30_000);
});

describe('zkevm push stopped by SIGTERM', () => {
  it('prints the same summary, then exits 143 (128 + 15, as watch does)', async () => {
    const { code, stdout } = await interruptedPush(['--json'], 'SIGTERM');
    expect(JSON.parse(stdout)).toMatchObject({
      pushed: FIRST_TWO,
      uncertain: THIRD,
      interrupted: 'SIGTERM',
    });
    expect(code).toBe(143);
  }, 30_000);
});

describe('request interrupted by SIGINT', () => {
  const run = (extra: string[]) =>
    interrupted(['request', COLLECTION, '--from-file', idFile, '--base-url', url], extra, {
      IMX_PRIVATE_KEY: PRIVATE_KEY,
    });

  it('prints the accepted refreshes, uncertain and unsent ids, then exits 130', async () => {
    const { code, stdout } = await run([]);
    expect(stdout).toContain(
      'Interrupted (SIGINT): stopped sending; 2 refresh requests accepted, 1000 token ids uncertain, 500 not sent.',
    );
    expect(stdout).toMatch(/^refresh-1 +1000$/m);
    expect(stdout).toMatch(/^refresh-2 +1000$/m);
    expect(stdout).toContain(
      `Uncertain (may have been accepted; check with list): ${IMX_IDS.slice(2000, 3000).join(' ')}\n`,
    );
    expect(stdout).toContain(`Not sent: ${IMX_IDS.slice(3000).join(' ')}\n`);
    expect(code).toBe(130);
  }, 30_000);

  it('prints one JSON object with --json, then exits 130', async () => {
    const { code, stdout } = await run(['--json']);
    const report = JSON.parse(stdout);
    expect(report.refreshes).toEqual([
      { refreshId: 'refresh-1', tokenIds: IMX_IDS.slice(0, 1000) },
      { refreshId: 'refresh-2', tokenIds: IMX_IDS.slice(1000, 2000) },
    ]);
    expect(report).toMatchObject({
      uncertain: IMX_IDS.slice(2000, 3000),
      notSent: IMX_IDS.slice(3000),
      interrupted: 'SIGINT',
    });
    expect(code).toBe(130);
  }, 30_000);
});
