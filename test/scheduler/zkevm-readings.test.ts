/**
 * Both readings of `retry-after` on a 202 (spec: "What `retry-after` means on a 202"), against
 * the zkEVM reference engine on one virtual clock with real hour windows: the window reading is
 * not mistaken for pacing (every window is spent), a pacing hint is honoured (no 429 in steady
 * state), a 429's wait is obeyed, a spent 202 waits for the reset, hostile counts are ignored, and
 * with no `maxDelayMs` a lone id goes out at once.
 */
import { HttpResponse, http } from 'msw';
import { describe, expect, it } from 'vitest';
import {
  type MetadataSource,
  RefreshScheduler,
  type RefreshSchedulerOptions,
  type SchedulerEvent,
  type ZkEvmSchedulerClient,
  zkEvmTarget,
} from '../../src/index.js';
import { server } from '../support/msw.js';
import { CONTRACT, useZkEvm, ZK_BASE_URL, ZK_CHAIN } from '../support/zkevm-engine.js';
import { perOpenedWindow } from './fake-harness.js';

const HOUR = 3_600_000;
const PUSH_PATH = `/v1/chains/${ZK_CHAIN}/collections/${CONTRACT}/nfts/refresh-metadata`;
/** Ids per push in the backlog tests: what is tested is the pushes' timing, not their size. */
const BATCH = 25;
const ids = (n: number, from = 1) => Array.from({ length: n }, (_, i) => String(i + from));

const metadata: MetadataSource = async (_contract, tokenIds) =>
  new Map(tokenIds.map((tokenId) => [tokenId, { name: `Hero #${tokenId}` }]));

type Api = ReturnType<typeof useZkEvm>;

/** A scheduler on the engine; every POST answer recorded with its virtual time. */
function run(
  api: Api,
  options: Omit<Partial<RefreshSchedulerOptions>, 'client'> & {
    source?: MetadataSource;
    client?: ZkEvmSchedulerClient;
  } = {},
) {
  const posts: { status: number; at: number }[] = [];
  const zk = api.client({
    onResponse: (r) => {
      if (r.method === 'POST') posts.push({ status: r.status, at: api.clock.now() });
    },
  });
  const events: (SchedulerEvent & { at: number })[] = [];
  const { source, client, budget, ...rest } = options;
  const scheduler = new RefreshScheduler({
    target: zkEvmTarget({ client: client ?? zk, metadata: source ?? metadata }),
    clock: api.clock,
    pollIntervalMs: 1_000,
    onEvent: (e) => events.push({ ...e, at: api.clock.now() }),
    budget: { windowMs: HOUR, ...budget },
    ...rest,
  });
  const accepted = () => posts.filter((p) => p.status === 202).map((p) => p.at);
  const sent = () =>
    events.filter(
      (e): e is Extract<SchedulerEvent, { type: 'batchSent' }> & { at: number } =>
        e.type === 'batchSent',
    );
  return { scheduler, zk, posts, events, accepted, sent };
}

describe('window reading (default): a 202 retry-after that is the reset is not a pacing hint', () => {
  const LIMIT = 6;
  const RESERVE = 2;
  const api = useZkEvm({ limits: { refreshesPerHour: LIMIT, windowMs: HOUR } });

  it('spends the whole learned limit in every window of a 3.5-window backlog, with no 429', async () => {
    // Batches of 25, not 250: the same pushes and answers at a tenth of the bytes.
    const t = run(api, { budget: { reserve: RESERVE }, maxBatchSize: BATCH });
    const pushesNeeded = Math.round((LIMIT - RESERVE) * 3.5);
    await t.scheduler.enqueue(CONTRACT, ids(BATCH * pushesNeeded));
    const started = api.clock.now();
    t.scheduler.start();
    await t.scheduler.drained();
    const elapsed = api.clock.now() - started;
    await t.scheduler.stop();

    expect(t.posts.map((p) => p.status).filter((s) => s !== 202)).toEqual([]);
    const counts = perOpenedWindow(t.accepted(), HOUR);
    // Every window but the last holds exactly limit - reserve pushes: the window was spent, not
    // one push per window (the cost of reading the window as pacing).
    expect(counts.slice(0, -1)).toEqual(Array(counts.length - 1).fill(LIMIT - RESERVE));
    expect(counts.length).toBe(4);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(pushesNeeded);
    // Each window's pushes go out at once (a backlog is not spread thin): 3 resets, not more.
    expect(elapsed).toBeLessThan(3 * HOUR + 60_000);
    expect(t.sent().every((e) => e.tokenIds.length === BATCH)).toBe(true);
  }, 30_000);

  it('after a 202 with nothing left, the next push waits for the reset', async () => {
    // The project's other tools spent all but one push of the window that opens now.
    api.service.setRemainingRefreshes(1);
    const resetAt = api.service.budget().resetAtMs;
    const t = run(api);
    await t.scheduler.enqueue(CONTRACT, ids(500));
    t.scheduler.start();
    await t.scheduler.drained();
    await t.scheduler.stop();
    expect(t.posts.map((p) => p.status)).toEqual([202, 202]);
    const [first, second] = t.accepted() as [number, number];
    expect(first).toBeLessThan(resetAt - HOUR / 2);
    expect(second).toBeGreaterThanOrEqual(resetAt);
    expect(second - resetAt).toBeLessThan(2_000);
    const wait = t.events.find((e) => e.type === 'budgetWait') as { until: Date } | undefined;
    expect(wait?.until.getTime()).toBe(resetAt);
  });
});

describe('pacing reading: a 202 retry-after that ends well before the reset is honoured', () => {
  const LIMIT = 6;
  const PACING_MS = HOUR / LIMIT;
  const api = useZkEvm({
    limits: { refreshesPerHour: LIMIT, windowMs: HOUR, retryAfter: 'pacing', pacingMs: PACING_MS },
  });

  it('saturates the budget over a 3.5-window backlog with pushes pacingMs apart and no 429 in steady state', async () => {
    const t = run(api, { maxBatchSize: BATCH });
    const pushesNeeded = Math.round(LIMIT * 3.5);
    await t.scheduler.enqueue(CONTRACT, ids(BATCH * pushesNeeded));
    t.scheduler.start();
    await t.scheduler.drained();
    await t.scheduler.stop();

    const accepted = t.accepted();
    expect(accepted).toHaveLength(pushesNeeded);
    // Steady state: after the first window taught the budget.
    const firstWindowEnds = (accepted[0] as number) + HOUR;
    const late429 = t.posts.filter((p) => p.status === 429 && p.at >= firstWindowEnds);
    expect(late429).toEqual([]);
    const all429 = t.posts.filter((p) => p.status === 429).length;
    const counts = perOpenedWindow(accepted, HOUR);
    const full = counts.slice(0, -1);
    const saturation = full.reduce((a, b) => a + b, 0) / (full.length * LIMIT);
    expect(saturation).toBeGreaterThanOrEqual(0.99);
    for (let i = 1; i < accepted.length; i++) {
      expect((accepted[i] as number) - (accepted[i - 1] as number)).toBeGreaterThanOrEqual(
        PACING_MS,
      );
    }
    console.info(
      `pacing: windows ${JSON.stringify(counts)}, saturation ${saturation}, 429s ${all429}`,
    );
  }, 30_000);
});

describe('a 429 with retry-after 30 s', () => {
  // 120 an hour paced evenly: 30 s between pushes.
  const api = useZkEvm({
    limits: { refreshesPerHour: 120, windowMs: HOUR, retryAfter: 'pacing' },
  });

  it('no push for 30 s after it, then pushes resume', async () => {
    const other = api.client();
    let reads = 0;
    // The project's other tool pushes right as the scheduler reads its third batch: the engine's
    // 30 s spacing then refuses the scheduler's push with a 429 and retry-after 30.
    const source: MetadataSource = async (contract, tokenIds, o) => {
      reads += 1;
      if (reads === 3) {
        await other.refreshNftMetadata({
          contractAddress: CONTRACT,
          nfts: [{ tokenId: '999999', name: 'other tool' }],
        });
      }
      return metadata(contract, tokenIds, o);
    };
    const t = run(api, { source });
    await t.scheduler.enqueue(CONTRACT, ids(250 * 5));
    t.scheduler.start();
    await t.scheduler.drained();
    await t.scheduler.stop();

    const refused = t.posts.filter((p) => p.status === 429);
    expect(refused).toHaveLength(1);
    const at = (refused[0] as { at: number }).at;
    const after = t.posts.filter((p) => p.at > at || (p.at === at && p !== refused[0]));
    expect(after.length).toBeGreaterThanOrEqual(3);
    expect(after.every((p) => p.status === 202)).toBe(true);
    expect((after[0] as { at: number }).at - at).toBeGreaterThanOrEqual(30_000);
    expect((after[0] as { at: number }).at - at).toBeLessThan(32_000);
    const wait = t.events.find((e) => e.type === 'budgetWait' && e.at === at) as
      | { until: Date; at: number }
      | undefined;
    expect(wait?.until.getTime()).toBe(at + 30_000);
    expect(t.sent().flatMap((e) => e.tokenIds)).toHaveLength(1_250);
  });
});

describe('hostile budget headers', () => {
  const LIMIT = 8;
  const api = useZkEvm({ limits: { refreshesPerHour: LIMIT, windowMs: HOUR } });
  const huge = '9'.repeat(400);

  it('400-digit counts on the wire (headers and body copies) leave the budget numeric and spend no extra push', async () => {
    // A proxy in front of the engine rewrites the second answer's counts into 400 digits.
    let answers = 0;
    server.use(
      http.post(`${ZK_BASE_URL}${PUSH_PATH}`, async ({ request }) => {
        const body = await request.text();
        const answer = await api.service.handle({
          method: 'POST',
          path: new URL(request.url).pathname,
          headers: request.headers,
          body: new TextEncoder().encode(body),
        });
        answers += 1;
        const headers = new Headers(answer.headers as Record<string, string>);
        let json = answer.body as Record<string, unknown>;
        if (answers === 2) {
          headers.set('imx-remaining-refreshes', huge);
          headers.set('imx-refreshes-limit', huge);
          json = JSON.parse(
            JSON.stringify(json)
              .replace(/"imx_remaining_refreshes":"\d+"/, `"imx_remaining_refreshes":"${huge}"`)
              .replace(/"imx_refreshes_limit":"\d+"/, `"imx_refreshes_limit":"${huge}"`),
          );
        }
        return HttpResponse.json(json as never, { status: answer.status, headers });
      }),
    );
    const t = run(api);
    await t.scheduler.enqueue(CONTRACT, ids(250 * 6));
    t.scheduler.start();
    await t.scheduler.drained();
    const stats = await t.scheduler.stats();
    await t.scheduler.stop();

    expect(answers).toBeGreaterThanOrEqual(2);
    expect(Number.isFinite(stats.budget.used)).toBe(true);
    expect(stats.budget.limit === undefined || Number.isFinite(stats.budget.limit)).toBe(true);
    expect(stats.budget.remaining === undefined || Number.isFinite(stats.budget.remaining)).toBe(
      true,
    );
    expect(t.posts.map((p) => p.status)).toEqual(Array(6).fill(202));
    expect(t.sent().flatMap((e) => e.tokenIds)).toHaveLength(1_500);
    expect(Math.max(...perOpenedWindow(t.accepted(), HOUR))).toBeLessThanOrEqual(LIMIT);
  });

  it('non-safe-integer counts and an infinite wait from a client are ignored: the budget never becomes NaN', async () => {
    const real = api.client();
    let answers = 0;
    const poisoned: ZkEvmSchedulerClient = {
      getNft: (p) => real.getNft(p),
      async refreshNftMetadata(p) {
        const result = await real.refreshNftMetadata(p);
        answers += 1;
        if (answers !== 2 || !result.rateLimit) return result;
        return {
          ...result,
          rateLimit: {
            ...result.rateLimit,
            limit: Number(huge),
            remaining: 2 ** 53 + 2,
            retryAfterMs: Number.POSITIVE_INFINITY,
          },
        };
      },
    };
    const t = run(api, { client: poisoned });
    await t.scheduler.enqueue(CONTRACT, ids(250 * 6));
    t.scheduler.start();
    await t.scheduler.drained();
    const stats = await t.scheduler.stats();
    await t.scheduler.stop();
    expect(Number.isFinite(stats.budget.used)).toBe(true);
    expect(Number.isNaN(stats.budget.used)).toBe(false);
    expect(stats.budget.limit).toBe(LIMIT);
    expect(stats.budget.remaining).toBe(LIMIT - 6);
    // Six pushes for six batches: nothing pushed twice, nothing refused, and no wait for ever.
    expect(t.sent()).toHaveLength(6);
    expect(t.sent().flatMap((e) => e.tokenIds)).toHaveLength(1_500);
  });
});

describe('fresh by default (no maxDelayMs, learned budget)', () => {
  const LIMIT = 100;
  const api = useZkEvm({ limits: { refreshesPerHour: LIMIT, windowMs: HOUR } });

  it('pushes a lone id on a fresh scheduler within 1 s', async () => {
    const t = run(api);
    const enqueuedAt = api.clock.now();
    await t.scheduler.enqueue(CONTRACT, ['7']);
    t.scheduler.start();
    await t.scheduler.drained();
    await t.scheduler.stop();
    expect(t.sent()).toHaveLength(1);
    expect((t.sent()[0] as { at: number }).at - enqueuedAt).toBeLessThanOrEqual(1_000);
  });

  it('keeps each id of a trickle at half the budget fresh (lag p99 below 2 x window/limit)', async () => {
    // One id every 2 x window/limit: pushed alone, each would take half the budget.
    const every = (2 * HOUR) / LIMIT;
    const count = Math.round((2 * HOUR) / every);
    const arrivals = ids(count).map((id, i) => ({ id, atMs: api.clock.now() + i * every }));
    const enqueuedAt = new Map<string, number>();
    let scheduler: RefreshScheduler | undefined;
    const arrive = async () => {
      const next = arrivals.shift() as { id: string; atMs: number };
      api.clock.set(Math.max(api.clock.now(), next.atMs));
      enqueuedAt.set(next.id, api.clock.now());
      await scheduler?.enqueue(CONTRACT, [next.id]);
    };
    // The scheduler's clock: a sleep stops at the next arrival, which is enqueued then (the
    // enqueue wakes the loop; the aborted sleep says so). `now` calls count as the loop's progress.
    let progress = 0;
    const clock = {
      now: () => {
        progress += 1;
        return api.clock.now();
      },
      sleep: async (ms: number, signal?: AbortSignal) => {
        progress += 1;
        const next = arrivals[0];
        if (next && next.atMs <= api.clock.now() + ms) {
          await arrive();
          if (signal?.aborted) throw new DOMException('woken', 'AbortError');
          return;
        }
        await api.clock.sleep(ms, signal);
      },
    };
    let inFlight = 0;
    const counted: ZkEvmSchedulerClient = {
      getNft: (p) => t.zk.getNft(p),
      async refreshNftMetadata(p) {
        inFlight += 1;
        try {
          return await t.zk.refreshNftMetadata(p);
        } finally {
          inFlight -= 1;
        }
      },
    };
    const t = run(api, { clock, client: counted });
    scheduler = t.scheduler;
    t.scheduler.start();
    // With nothing pending the loop waits for an enqueue, not on the clock: once it made no
    // progress for a whole turn of the event loop with no push on its way, the next id arrives.
    while (arrivals.length > 0) {
      const before = progress;
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setImmediate(r));
      if (progress === before && inFlight === 0 && arrivals.length > 0) await arrive();
    }
    await t.scheduler.drained();
    await t.scheduler.stop();

    const lags: number[] = [];
    for (const e of t.sent()) {
      for (const id of e.tokenIds) lags.push(e.at - (enqueuedAt.get(id) as number));
    }
    expect(lags).toHaveLength(count);
    expect(t.posts.every((p) => p.status === 202)).toBe(true);
    lags.sort((a, b) => a - b);
    const p50 = lags[Math.floor(lags.length * 0.5)] as number;
    const p99 = lags[Math.min(lags.length - 1, Math.floor(lags.length * 0.99))] as number;
    // Measured: p50 about 24 s, p99 about 36 s (window/limit) with 100 an hour.
    console.info(`trickle lag: p50 ${p50} ms, p99 ${p99} ms, max ${lags.at(-1)} ms`);
    expect(p99).toBeLessThan((2 * HOUR) / LIMIT);
    expect(Math.max(...perOpenedWindow(t.accepted(), HOUR))).toBeLessThanOrEqual(LIMIT);
  }, 30_000);

  it('under a backlog every push is full (250 ids)', async () => {
    const t = run(api);
    await t.scheduler.enqueue(CONTRACT, ids(250 * 12));
    t.scheduler.start();
    await t.scheduler.drained();
    await t.scheduler.stop();
    expect(t.sent().map((e) => e.tokenIds.length)).toEqual(Array(12).fill(250));
  }, 30_000);
});
