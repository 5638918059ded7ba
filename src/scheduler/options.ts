/** The scheduler's options, checked and filled with defaults once, at construction. */
import { type Clock, systemClock } from '../clock.js';
import { optionChecks } from '../option-checks.js';
import { REFRESH_POLL } from '../wire/limits.js';
import type { ToldBudget } from './learned-budget.js';
import { MemoryStore, type SchedulerStore } from './store.js';
import { imxTarget } from './targets/imx-target.js';
import type { SchedulerTarget } from './targets/target.js';
import type { RefreshSchedulerOptions } from './types.js';

/** Everything the scheduler runs on, resolved. */
export interface ResolvedSchedulerOptions {
  target: SchedulerTarget;
  store: SchedulerStore;
  clock: Clock;
  /** The budget told in advance (the target's limit, or `budget.limit`), in windows of `windowMs`. */
  told: ToldBudget | undefined;
  /** The most per window whatever the headers say (`budget.limit`, or Infinity). */
  cap: number;
  reserve: number;
  windowMs: number;
  maxBatchSize: number;
  /** undefined: `windowMs / limit`, with the limit as known at the time. */
  maxDelayMs: number | undefined;
  attempts: number;
  leaseMs: number;
  pollIntervalMs: number;
  maxPollIntervalMs: number;
  windowGuardMs: number;
  checkAfterMs: number[];
  clockSkewMs: number;
  idlePollMs: number | undefined;
  /** Most ids the outbox keeps while the store cannot be reached. */
  outboxMaxIds: number;
}

/** The checks of the scheduler's options, named as `RefreshScheduler: <option>`. */
const check = optionChecks('RefreshScheduler');

function positive(value: number | undefined, fallback: number, name: string): number {
  return check.positiveNumber(name, value ?? fallback);
}

function resolveTarget(options: RefreshSchedulerOptions): SchedulerTarget {
  if (options.target !== undefined && options.client !== undefined) {
    throw check.invalid('target', 'or client: give one, not both');
  }
  if (options.target !== undefined) {
    const t = options.target;
    if (typeof t?.send !== 'function' || typeof t.prepare !== 'function') {
      throw check.invalid('target', 'must be made by imxTarget() or zkEvmTarget()', t);
    }
    return t;
  }
  if (options.client !== undefined) return imxTarget({ client: options.client });
  throw check.invalid('target', 'is required (imxTarget or zkEvmTarget), or a client');
}

/** The default lease: long enough for a follower to renew it many times over. */
const DEFAULT_LEASE_MS = 300_000;

/**
 * `leaseMs`, which must outlive the target's longest send: a lease that ran out while its push
 * was still on its way would let another process push the same ids, and the older push could
 * land after the newer. Without `leaseMs`, the default or the longest send, whichever is longer.
 */
function resolveLeaseMs(leaseMs: number | undefined, target: SchedulerTarget): number {
  const longest = target.longestSendMs;
  if (leaseMs === undefined) return Math.max(DEFAULT_LEASE_MS, longest ?? 0);
  const lease = positive(leaseMs, DEFAULT_LEASE_MS, 'leaseMs');
  if (longest !== undefined && lease < longest) {
    throw check.invalid(
      'leaseMs',
      `(${lease} ms) is shorter than the longest send (${longest} ms: the client's timeoutMs for each attempt it may make and the waits between them, plus the platform's applyDelayMs on zkEVM). Raise leaseMs, or lower the client's timeoutMs or maxRetries`,
    );
  }
  return lease;
}

/** Checks the options; throws `InvalidOptionError` naming the first bad one. */
export function resolveSchedulerOptions(
  options: RefreshSchedulerOptions,
): ResolvedSchedulerOptions {
  if (typeof options !== 'object' || options === null) {
    throw check.invalid('options', 'must be { target } or { client }', options);
  }
  const target = resolveTarget(options);
  const toldLimit = target.budget.limit;
  const limitOption = options.budget?.limit;
  const limit =
    toldLimit === undefined && limitOption === undefined
      ? undefined
      : positive(limitOption, toldLimit ?? 1, 'budget.limit');
  const reserve = options.budget?.reserve ?? 0;
  if (!Number.isSafeInteger(reserve) || reserve < 0 || (limit !== undefined && reserve >= limit)) {
    throw check.invalid('budget.reserve', 'must be an integer from 0 to limit - 1', reserve);
  }
  const given = options.store;
  if (given !== undefined) {
    // A store sets the budget window when it is created.
    check.positiveNumber('store.windowMs', (given as Partial<SchedulerStore> | null)?.windowMs);
  }
  // The window is the store's, set once when it was created, so every process sharing the store
  // counts in the same windows; budget.windowMs may only repeat it.
  const windowMs = positive(
    options.budget?.windowMs,
    given?.windowMs ?? target.budget.windowMs,
    'budget.windowMs',
  );
  if (given !== undefined && windowMs !== given.windowMs) {
    throw check.invalid(
      'budget.windowMs',
      `(${windowMs}) differs from the store's windowMs (${given.windowMs}): set the window once, on the store`,
    );
  }
  const maxBatchSize = check.positiveInteger(
    'maxBatchSize',
    options.maxBatchSize ?? target.maxBatchSize,
    target.maxBatchSize,
  );
  const maxDelayMs =
    options.maxDelayMs ??
    (toldLimit === undefined || limit === undefined ? undefined : windowMs / limit);
  if (maxDelayMs !== undefined) check.nonNegativeNumber('maxDelayMs', maxDelayMs);
  const pollIntervalMs = positive(options.pollIntervalMs, REFRESH_POLL.initialMs, 'pollIntervalMs');
  const windowGuardMs = check.nonNegativeNumber(
    'windowGuardMs',
    options.windowGuardMs ?? Math.min(windowMs / 100, 5_000),
  );
  if (windowGuardMs >= windowMs) {
    throw check.invalid('windowGuardMs', `must be below windowMs (${windowMs})`, windowGuardMs);
  }
  const checkAfterMs = options.reconcile?.checkAfterMs ?? [2_000, 5_000, 15_000];
  if (
    !Array.isArray(checkAfterMs) ||
    checkAfterMs.length === 0 ||
    checkAfterMs.some((ms, i) => !Number.isFinite(ms) || ms < 0 || ms < (checkAfterMs[i - 1] ?? 0))
  ) {
    throw check.invalid(
      'reconcile.checkAfterMs',
      'must be a non-empty, ascending list of non-negative numbers',
    );
  }
  const store = given ?? new MemoryStore({ windowMs });
  return {
    target,
    store,
    clock: options.clock ?? systemClock,
    told: toldLimit === undefined || limit === undefined ? undefined : { limit, windowMs },
    cap: limitOption === undefined ? Number.POSITIVE_INFINITY : (limit as number),
    reserve,
    windowMs,
    maxBatchSize,
    maxDelayMs,
    attempts: positive(options.retry?.attempts, 3, 'retry.attempts'),
    leaseMs: resolveLeaseMs(options.leaseMs, target),
    pollIntervalMs,
    maxPollIntervalMs: Math.max(
      pollIntervalMs,
      positive(options.maxPollIntervalMs, REFRESH_POLL.maxMs, 'maxPollIntervalMs'),
    ),
    windowGuardMs,
    checkAfterMs: [...checkAfterMs],
    clockSkewMs: check.nonNegativeNumber(
      'reconcile.clockSkewMs',
      options.reconcile?.clockSkewMs ?? 5_000,
    ),
    // 0: no outbox.
    outboxMaxIds: check.nonNegativeInteger('outbox.maxIds', options.outbox?.maxIds ?? 10_000),
    idlePollMs:
      options.store && !(options.store instanceof MemoryStore)
        ? positive(options.idlePollMs, 1_000, 'idlePollMs')
        : undefined,
  };
}
