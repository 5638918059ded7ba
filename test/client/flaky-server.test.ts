import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import {
  ConnectionError,
  InternalServerError,
  MetadataRefreshClient,
  MetadataRefreshError,
} from '../../src/index.js';
import {
  COLLECTION,
  createTestClock,
  PRIVATE_KEY,
  rateLimitHeaders,
  refreshListItemWire,
  refreshWire,
  type TestClock,
} from '../support/fixtures.js';
import { useLoopback } from '../support/loopback.js';
import { seededRandom } from '../support/seeded-random.js';

const CALLS = 300;
const MAX_RETRIES = 3;
const REFRESHES = '/v1/metadata-refreshes';

type GetAnswer = 'unavailable' | 'reset' | 'ok';
type PostAnswer = 'accepted' | 'error' | 'reset';
type Answer = GetAnswer | PostAnswer;
type Kind = 'getRefresh' | 'listRefreshes' | 'requestRefresh';

interface FlakyServer {
  url: string;
  /** Every answer given, per call tag, in order. */
  answers: Map<string, Answer[]>;
  posts: number;
}

const loopback = useLoopback();

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function pickGet(random: () => number): GetAnswer {
  const r = random();
  return r < 0.4 ? 'unavailable' : r < 0.65 ? 'reset' : 'ok';
}

function pickPost(random: () => number): PostAnswer {
  const r = random();
  return r < 0.45 ? 'accepted' : r < 0.75 ? 'error' : 'reset';
}

function unavailable(res: ServerResponse, random: () => number): void {
  const r = random();
  if (r < 0.4) {
    sendJson(res, 503, { code: 'service_unavailable', message: 'Try again' });
  } else if (r < 0.7) {
    res.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '1' });
    res.end('Service Unavailable');
  } else {
    res.writeHead(503, { 'content-type': 'text/html' });
    res.end('<html><body>503</body></html>');
  }
}

async function startFlakyServer(seed: number): Promise<FlakyServer> {
  const random = seededRandom(seed);
  const answers = new Map<string, Answer[]>();
  const record = (tag: string, answer: Answer) => {
    answers.set(tag, [...(answers.get(tag) ?? []), answer]);
  };
  const flaky: FlakyServer = {
    url: '',
    answers,
    posts: 0,
  };
  const { server, url } = await loopback.serve(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://flaky.test');
    if (req.method === 'POST' && url.pathname === REFRESHES) {
      const body = JSON.parse(await readBody(req)) as { token_ids: string[] };
      const tag = body.token_ids[0] as string;
      flaky.posts++;
      const answer = pickPost(random);
      record(tag, answer);
      if (answer === 'reset') req.socket.destroy();
      else if (answer === 'error') {
        sendJson(res, 500, { code: 'internal_server_error', message: 'Internal server error' });
      } else {
        sendJson(res, 202, { refresh_id: `refresh-${tag}` }, rateLimitHeaders('service', 7));
      }
      return;
    }
    const tag =
      url.pathname === REFRESHES
        ? (url.searchParams.get('cursor') ?? '')
        : decodeURIComponent(url.pathname.slice(REFRESHES.length + 1));
    const answer = pickGet(random);
    record(tag, answer);
    if (answer === 'reset') req.socket.destroy();
    else if (answer === 'unavailable') unavailable(res, random);
    else if (url.pathname === REFRESHES) {
      sendJson(res, 200, {
        result: [refreshListItemWire(tag)],
        cursor: `${tag}-next`,
        remaining: 1,
      });
    } else {
      sendJson(
        res,
        200,
        refreshWire(random() < 0.5 ? 'service' : 'upstream', {
          refreshId: tag,
          status: 'in_progress',
          summary: { succeeded: 3, failed: 1, pending: 2 },
        }),
      );
    }
  });
  server.keepAliveTimeout = 60_000;
  flaky.url = url;
  return flaky;
}

interface Call {
  kind: Kind;
  tag: string;
  outcome: { ok: true; value: unknown } | { ok: false; error: unknown };
}

async function callOnce(client: MetadataRefreshClient, kind: Kind, tag: string): Promise<Call> {
  const run = (): Promise<unknown> => {
    if (kind === 'getRefresh') return client.getRefresh(tag);
    if (kind === 'listRefreshes') return client.listRefreshes({ cursor: tag, pageSize: 5 });
    return client.requestRefresh({ collectionAddress: COLLECTION, tokenIds: [tag, 'shared'] });
  };
  try {
    return { kind, tag, outcome: { ok: true, value: await run() } };
  } catch (error) {
    return { kind, tag, outcome: { ok: false, error } };
  }
}

function expectedValue(kind: Kind, tag: string): unknown {
  if (kind === 'requestRefresh') {
    return {
      refreshId: `refresh-${tag}`,
      rateLimit: { limit: 10, remaining: 7, resetAt: new Date('2022-09-06T03:00:00Z') },
    };
  }
  const { summary: _summary, ...row } = refreshWire('service', { refreshId: tag });
  const item = {
    refreshId: tag,
    status: row.status,
    collectionAddress: row.collection_address,
    startedAt: row.started_at,
    completedAt: row.completed_at,
  };
  if (kind === 'listRefreshes') return { result: [item], cursor: `${tag}-next`, hasMore: true };
  return {
    ...item,
    status: 'in_progress',
    completedAt: null,
    summary: { succeeded: 3, failed: 1, pending: 2 },
  };
}

function expectError(error: unknown, answer: Answer | undefined): void {
  expect(error).toBeInstanceOf(MetadataRefreshError);
  if (answer === 'reset') {
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error).toMatchObject({ code: 'ECONNRESET', nothingSent: false });
  } else {
    expect(error).toBeInstanceOf(InternalServerError);
    expect((error as InternalServerError).status).toBe(answer === 'error' ? 500 : 503);
  }
}

async function runCalls(seed: number) {
  const server = await startFlakyServer(seed);
  const clock: TestClock = createTestClock();
  const client = new MetadataRefreshClient({
    signer: PRIVATE_KEY,
    baseURL: server.url,
    maxRetries: MAX_RETRIES,
    clock,
  });
  const pick = seededRandom(seed ^ 0x9e3779b9);
  const kinds: Kind[] = ['getRefresh', 'listRefreshes', 'requestRefresh'];
  const calls: Call[] = [];
  for (let i = 0; i < CALLS; i++) {
    const kind = kinds[Math.floor(pick() * kinds.length)] as Kind;
    calls.push(await callOnce(client, kind, `call-${seed}-${i}`));
  }
  return { server, clock, calls };
}

describe('the client against a server that fails at random', () => {
  it.each([1, 0xc0ffee, 20220906])('keeps every call typed and safe (seed %i)', async (seed) => {
    const { server, clock, calls } = await runCalls(seed);
    const posts = calls.filter((c) => c.kind === 'requestRefresh');
    const gets = calls.filter((c) => c.kind !== 'requestRefresh');
    let retries = 0;

    for (const { kind, tag, outcome } of calls) {
      const answers = server.answers.get(tag) ?? [];
      const last = answers[answers.length - 1];
      if (kind === 'requestRefresh') {
        expect({ tag, answers: answers.length }).toEqual({ tag, answers: 1 });
      } else {
        expect(answers.slice(0, -1).every((a) => a !== 'ok')).toBe(true);
        expect(answers.length).toBeLessThanOrEqual(MAX_RETRIES + 1);
        retries += answers.length - 1;
      }
      if (outcome.ok) {
        expect(last).toBe(kind === 'requestRefresh' ? 'accepted' : 'ok');
        expect(outcome.value).toEqual(expectedValue(kind, tag));
      } else {
        expectError(outcome.error, last);
        if (kind !== 'requestRefresh') {
          expect({ tag, answers: answers.length }).toEqual({ tag, answers: MAX_RETRIES + 1 });
        }
      }
    }

    expect(server.posts).toBe(posts.length);
    expect(clock.sleeps).toHaveLength(retries);
    for (const ms of clock.sleeps) expect(ms).toBeLessThanOrEqual(8_000);

    const failedGets = gets.filter((c) => !c.outcome.ok).length;
    const retriedGets = gets.filter(
      (c) => c.outcome.ok && (server.answers.get(c.tag)?.length ?? 0) > 1,
    );
    const answered = (answer: PostAnswer) =>
      posts.filter((c) => server.answers.get(c.tag)?.[0] === answer).length;
    expect(failedGets).toBeGreaterThan(0);
    expect(retriedGets.length).toBeGreaterThan(0);
    expect(answered('accepted')).toBeGreaterThan(0);
    expect(answered('error')).toBeGreaterThan(0);
    expect(answered('reset')).toBeGreaterThan(0);
  });
});
