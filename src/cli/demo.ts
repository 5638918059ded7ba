/**
 * `npm run demo:imx` (`demo --imx`): the Immutable X flow in one process. Starts the reference server and the demo
 * Metadata API, makes a throwaway wallet the owner, requests a refresh with the real client,
 * shows progress until it completes, then prints the outcome, each error and the budget.
 */
import { randomPrivateKey } from '../auth/secp256k1.js';
import { privateKeyToAddress } from '../auth/signer.js';
import { MetadataRefreshClient } from '../client/client.js';
import { createReferenceServer } from '../server/reference-server.js';
import type { Refresh } from '../wire/mappers.js';
import {
  DEMO_COLLECTION,
  DEMO_EXISTING_TOKEN_IDS,
  DEMO_REQUEST_TOKEN_IDS,
  startDemoMetadataApi,
} from './demo-metadata-api.js';
import { budgetLine, localTimeOf } from './format.js';
import { refreshProgressBar } from './progress.js';

/** Where the demo writes, and how fast its slow parts are (tests shorten them). */
export interface DemoOptions {
  out?: NodeJS.WritableStream & { isTTY?: boolean };
  /** The service's per-attempt Metadata API timeout. Default 3000, the platform's. */
  fetchTimeoutMs?: number;
  /** How long the demo's slow token takes. Default 3500. */
  slowMs?: number;
  /** Poll interval while waiting. Default 250. */
  pollIntervalMs?: number;
}

/** Runs the demo; resolves with the completed refresh. */
export async function runDemo(options: DemoOptions = {}): Promise<Refresh> {
  const out = options.out ?? process.stdout;
  const say = (line = '') => out.write(`${line}\n`);
  const metadataApi = await startDemoMetadataApi({ slowMs: options.slowMs });
  const ownerKey = randomPrivateKey();
  const owner = { privateKey: ownerKey, address: privateKeyToAddress(ownerKey) };
  const server = createReferenceServer({
    owner: owner.address,
    collections: [
      {
        address: DEMO_COLLECTION,
        metadataApiUrl: metadataApi.url,
        tokenIds: DEMO_EXISTING_TOKEN_IDS,
      },
    ],
    fetchTimeoutMs: options.fetchTimeoutMs,
  });
  try {
    const { url } = await server.listen();
    say(`Reference service  ${url}`);
    say(`Demo Metadata API  ${metadataApi.url}`);
    say(`Project owner      ${owner.address} (throwaway wallet)`);
    say();

    const client = new MetadataRefreshClient({ signer: owner.privateKey, baseURL: url });
    const { refreshId } = await client.requestRefresh({
      collectionAddress: DEMO_COLLECTION,
      tokenIds: DEMO_REQUEST_TOKEN_IDS,
    });
    say(`Requested refresh ${refreshId} of tokens ${DEMO_REQUEST_TOKEN_IDS.join(', ')}`);

    const total = DEMO_REQUEST_TOKEN_IDS.length;
    const bar = out.isTTY ? refreshProgressBar(out) : undefined;
    bar?.start(total, 0, { status: 'queued', succeeded: 0, failed: 0, pending: total });
    const refresh = await client.waitForRefresh(refreshId, {
      pollIntervalMs: options.pollIntervalMs ?? 250,
      maxPollIntervalMs: 1_000,
      onProgress: ({ status, summary }) => {
        const done = summary.succeeded + summary.failed;
        if (bar) bar.update(done, { status, ...summary });
        else
          say(
            `  ${status}: ${summary.succeeded} succeeded, ${summary.failed} failed, ${summary.pending} pending`,
          );
      },
    });
    bar?.stop();

    say();
    // One time a line: a time already ends in its zone's brackets.
    say(`Status   ${refresh.status}`);
    say(`Started  ${localTimeOf(refresh.startedAt)}`);
    say(`Done     ${localTimeOf(refresh.completedAt) ?? '-'}`);
    say(
      `Summary  ${refresh.summary.succeeded} succeeded, ${refresh.summary.failed} failed, ${refresh.summary.pending} pending`,
    );
    say();
    say('Errors');
    for await (const error of client.iterateRefreshErrors(refreshId)) {
      const status = error.clientResponseStatusCode ?? '-';
      const body =
        error.clientResponseBody === null ? '' : ` ${JSON.stringify(error.clientResponseBody)}`;
      say(
        `  token ${error.tokenId.padEnd(3)} ${error.errorCode.padEnd(30)} status ${status}${body}`,
      );
    }
    say();
    say(`Budget   ${budgetLine(client.rateLimit)}`);
    return refresh;
  } finally {
    await server.close();
    await metadataApi.close();
  }
}
