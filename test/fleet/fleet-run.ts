/**
 * The fleet run shared by the fleet tests (fleet.test.ts on one Redis, fleet-cluster.test.ts on a
 * Redis Cluster): game-server processes (game-server.ts) share one Redis store and one reference
 * server whose window is 5 s. Together they enqueue overlapping ids over time; the first one to
 * send a batch is killed with SIGKILL while it follows it. Afterwards: no 429, no window over the
 * limit, every id whose enqueue resolved was part of an accepted refresh, and every id got its
 * final event in a surviving process (once per refresh).
 */
import { expect } from 'vitest';
import { MetadataRefreshClient } from '../../src/index.js';
import type { RedisStore } from '../../src/redis/index.js';
import {
  createReferenceServer,
  type FetchMetadata,
  type ReferenceServer,
} from '../../src/server/index.js';
import { COLLECTION, OWNER, PRIVATE_KEY } from '../support/fixtures.js';
import {
  type Child,
  countBy,
  events,
  shares,
  sleep,
  spawnGameServer,
  startTogether,
  stopFleet,
  waitUntilSettled,
  withFleet,
} from './fleet-children.js';
import type { FleetClientKind, GameServerConfig } from './game-server.js';

const CHUNKS = 10;
const CHUNK_DELAY_MS = 100;
const LIMIT = 4;
/** The default window of a fleet run (the reference server's and the schedulers'). */
// 5 s windows with a 1.2 s guard: margins a loaded 2-core machine keeps (3 s and 500 ms met a 429
// at load 8).
export const FLEET_WINDOW_MS = 5_000;

/** Ids answered 503 on their first two fetches: the worker gives up, the scheduler retries. */
const flaky = (tokenId: string) => Number(tokenId) % 250 === 7;

/** The reference server of a fleet run, with a metadata API that fails some ids at first. */
export async function startFleetServer(
  windowMs = FLEET_WINDOW_MS,
): Promise<{ server: ReferenceServer; url: string }> {
  const fetches = new Map<string, number>();
  const fetchMetadata: FetchMetadata = async ({ tokenId }) => {
    const n = (fetches.get(tokenId) ?? 0) + 1;
    fetches.set(tokenId, n);
    await sleep(5);
    if (flaky(tokenId) && n <= 2) return { status: 503, body: 'busy' };
    return { status: 200, body: '{"name":"x"}' };
  };
  const server = createReferenceServer({
    owner: OWNER,
    fetchMetadata,
    concurrency: 32,
    limits: { refreshesPerHour: LIMIT, windowMs },
  });
  return { server, url: (await server.listen(0, '127.0.0.1')).url };
}

/** One fleet run. */
export interface FleetOptions {
  /** For the summary line. */
  name: string;
  processes: number;
  ids: number;
  /** The reference server's URL. */
  serverUrl: string;
  /** One Redis's URL (for the `url`, `node-redis` and `ioredis` kinds). */
  redisUrl: string;
  clusterNodes?: { host: string; port: number }[];
  /** The client kind of each game server. */
  clientOf(index: number): FleetClientKind;
  /** The parent's own view of the shared store (same prefix). */
  store: RedisStore;
  prefix: string;
  /** How long after `go` the fleet may take to settle. */
  deadlineMs: number;
  /** The window, the same as {@link startFleetServer}'s (default {@link FLEET_WINDOW_MS}). */
  windowMs?: number;
  /** The schedulers' `windowGuardMs` (default 1200). */
  windowGuardMs?: number;
}

/** Runs the fleet and checks everything; SIGKILLs whatever is left running if it throws. */
export function runFleet(options: FleetOptions): Promise<void> {
  return withFleet((children) => run(options, children));
}

async function run(options: FleetOptions, children: Child[]): Promise<void> {
  const { serverUrl, store, processes: PROCESSES, ids: IDS, prefix: PREFIX } = options;
  const DEADLINE_MS = options.deadlineMs;
  const WINDOW_MS = options.windowMs ?? FLEET_WINDOW_MS;
  const spawnedAt = Date.now();
  let victim: Child | undefined;
  let victimChunksAtKill = -1;

  shares(PROCESSES, IDS, CHUNKS).forEach((chunks, index) => {
    const config: GameServerConfig = {
      serverUrl,
      redisUrl: options.redisUrl,
      client: options.clientOf(index),
      clusterNodes: options.clusterNodes,
      prefix: PREFIX,
      collectionAddress: COLLECTION,
      chunks,
      chunkDelayMs: CHUNK_DELAY_MS,
      budget: { limit: LIMIT, windowMs: WINDOW_MS },
      windowGuardMs: options.windowGuardMs ?? 1_200,
      maxDelayMs: 500,
      leaseMs: 3_000,
      pollIntervalMs: 200,
      idlePollMs: 100,
    };
    children.push(
      spawnGameServer(index, config, (child, line) => {
        // Kill the first process that sends a batch, at once: it holds the batch's lease and
        // follows the refresh, and still has ids of its own to enqueue.
        if (!victim && line.kind === 'event' && line.event.type === 'batchSent') {
          victim = child;
          victimChunksAtKill = child.lines.filter((l) => l.kind === 'enqueued').length;
          child.proc.kill('SIGKILL');
        }
      }),
    );
  });
  const t0 = await startTogether(children);
  const survivors = () => children.filter((c) => c !== victim);

  // Wait until the survivors drained, the store is empty and every sent refresh was followed
  // to its end by someone (a refresh the victim sent is adopted once its lease runs out).
  await waitUntilSettled({
    children,
    victim: () => victim,
    store,
    deadline: t0 + DEADLINE_MS,
    settled: async () => {
      if (!victim || !survivors().every((c) => c.lines.some((l) => l.kind === 'drained'))) {
        return false;
      }
      const counts = await store.counts();
      if (counts.pending > 0 || counts.inFlight > 0) return false;
      const completed = new Set(
        children.flatMap((c) => events(c, 'refreshCompleted').map((e) => e.refreshId)),
      );
      const sent = children.flatMap((c) => events(c, 'batchSent').map((e) => e.refreshId ?? ''));
      return sent.every((id) => completed.has(id));
    },
  });
  const settledAt = Date.now();
  const killed = victim as Child;
  await stopFleet(children, killed, t0);
  // Killed right after its first accepted batch, while following it (see the adoption check
  // below); under load it may already have enqueued all its chunks by then.
  expect(victimChunksAtKill).toBeGreaterThan(0);

  const posts = children.flatMap((c) => c.lines.filter((l) => l.kind === 'post'));
  const accepted = posts.filter((p) => p.status === 202);
  const enqueued = new Set(
    children.flatMap((c) => c.lines.flatMap((l) => (l.kind === 'enqueued' ? l.ids : []))),
  );
  const sent = children.flatMap((c) => events(c, 'batchSent'));
  const refreshes = [];
  const lister = new MetadataRefreshClient({ signer: PRIVATE_KEY, baseURL: serverUrl });
  for await (const r of lister.iterateRefreshes({ pageSize: 1000 })) refreshes.push(r);

  // 1. The server never answered 429 (nor anything but 202).
  expect(countBy(posts, (p) => p.status)).toEqual(new Map([[202, accepted.length]]));

  // 2. No window held more than LIMIT accepted POSTs: by the server's start times, by the
  // window each response reported (its reset header), and by the children's clocks for every
  // POST whose request and response fell in the same window (one that straddles a boundary
  // may have been counted in either; the reset header says which).
  const byServer = countBy(refreshes, (r) => Math.floor(Date.parse(r.startedAt) / WINDOW_MS));
  const byHeader = countBy(accepted, (p) => p.resetMs ?? Number.NaN);
  const unambiguous = accepted.filter(
    (p) => Math.floor(p.sentAt / WINDOW_MS) === Math.floor(p.at / WINDOW_MS),
  );
  const byClock = countBy(unambiguous, (p) => Math.floor(p.at / WINDOW_MS));
  expect(Math.max(...byServer.values())).toBeLessThanOrEqual(LIMIT);
  expect(Math.max(...byHeader.values())).toBeLessThanOrEqual(LIMIT);
  expect([...byHeader.keys()].every((k) => Number.isFinite(k))).toBe(true);
  expect(Math.max(...byClock.values())).toBeLessThanOrEqual(LIMIT);
  // Every refresh was seen by a child, except one the victim may have had in flight.
  expect(refreshes.length - accepted.length).toBeGreaterThanOrEqual(0);
  expect(refreshes.length - accepted.length).toBeLessThanOrEqual(1);
  const serverIds = new Set(refreshes.map((r) => r.refreshId));
  expect(sent.filter((e) => !serverIds.has(e.refreshId ?? ''))).toEqual([]);

  // 3. Every id whose enqueue resolved was part of an accepted refresh.
  const sentIds = new Set(sent.flatMap((e) => e.tokenIds));
  expect([...enqueued].filter((id) => !sentIds.has(id))).toEqual([]);

  // 4. Every enqueued id got a final event in a surviving process; every (refresh, token) pair
  // of an accepted refresh ended exactly once (succeeded, failed, or retried in a new refresh).
  const finals = survivors().flatMap((c) => [
    ...events(c, 'tokenSucceeded'),
    ...events(c, 'tokenFailed'),
  ]);
  const finalIds = new Set(finals.map((e) => e.tokenId));
  // (The victim is killed as soon as it logs its first batchSent, before it can poll, so it
  // has no final events; should a slow parent let it finish one refresh first, those ids
  // count as ended in the victim.)
  const victimFinals = [...events(killed, 'tokenSucceeded'), ...events(killed, 'tokenFailed')];
  const endedInVictim = new Set(victimFinals.map((e) => e.tokenId));
  expect([...enqueued].filter((id) => !finalIds.has(id) && !endedInVictim.has(id))).toEqual([]);
  const outcomes = countBy(
    children.flatMap((c) => [
      ...events(c, 'tokenSucceeded'),
      ...events(c, 'tokenFailed'),
      ...events(c, 'tokenRetried'),
    ]),
    (e) => `${e.refreshId}/${e.tokenId}`,
  );
  expect([...outcomes].filter(([, n]) => n !== 1)).toEqual([]);
  const expected = new Set(sent.flatMap((e) => e.tokenIds.map((t) => `${e.refreshId}/${t}`)));
  expect([...outcomes.keys()].sort()).toEqual([...expected].sort());
  // The metadata API fails only transiently, so every id ends succeeded.
  expect(finals.filter((e) => e.type === 'tokenFailed')).toEqual([]);
  const retried = children.flatMap((c) => events(c, 'tokenRetried'));
  // (A flaky id sent twice at once may have its two 503s split over both refreshes.)
  expect(retried.length).toBeGreaterThan(0);
  expect(retried.filter((e) => !flaky(e.tokenId))).toEqual([]);

  const victimRefreshes = new Set(events(killed, 'batchSent').map((e) => e.refreshId));
  const adopted = survivors().flatMap((c) =>
    events(c, 'refreshCompleted').filter((e) => victimRefreshes.has(e.refreshId)),
  );
  // The victim died holding the lease of a refresh it sent and followed: a survivor adopted
  // it once the lease ran out and followed it to its end.
  const victimCompleted = new Set(events(killed, 'refreshCompleted').map((e) => e.refreshId));
  expect(adopted.length).toBeGreaterThan(0);
  expect(adopted).toHaveLength(victimRefreshes.size - victimCompleted.size);
  const enqueueCalls = children.reduce(
    (n, c) => n + c.lines.filter((l) => l.kind === 'enqueued').length,
    0,
  );
  console.log(
    `fleet (${options.name}): ${enqueued.size} ids enqueued (${enqueueCalls} enqueue calls, victim ${killed.index} killed after ${victimChunksAtKill} chunks); ` +
      `${refreshes.length} refreshes accepted (${sent.length} batchSent, sizes ${sent.map((e) => e.tokenIds.length).join('/')}) ` +
      `in ${byServer.size} windows (per window ${[...byServer.values()].join('/')}); ` +
      `${finals.length} final events for ${finalIds.size} ids (${victimFinals.length} in the victim), ${retried.length} retried, ` +
      `${adopted.length} refresh(es) adopted from the victim; fleet up in ${t0 - spawnedAt} ms, settled ${settledAt - t0} ms after go`,
  );
}
