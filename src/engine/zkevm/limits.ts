/** The refresh budget's options resolved once: defaults, and a clear error for a bad value. */
import { optionChecks } from '../../option-checks.js';
import { DEFAULT_COLLECTION_METADATA_MAX_BYTES } from '../../wire/zkevm/limits.js';
import type { ZkEvmCollectionRefreshBudget, ZkEvmLimits, ZkEvmRetryAfterReading } from './types.js';

/** Refresh requests per window when `limits.refreshesPerHour` is not given (an assumption). */
export const DEFAULT_REFRESHES_PER_HOUR = 100;
/** Window length when `limits.windowMs` is not given: the platform's one hour. */
export const DEFAULT_WINDOW_MS = 3_600_000;
/**
 * What `retry-after` on a 202 means when `limits.retryAfter` is not given: the reading the
 * platform's public sample fits (675 of 677 left, yet `retry_after` 9.61 s beside a reset time).
 */
export const DEFAULT_RETRY_AFTER: ZkEvmRetryAfterReading = 'window';
/** The readings of `retry-after` the engine offers. */
export const RETRY_AFTER_READINGS = [
  'window',
  'pacing',
] as const satisfies ReadonlyArray<ZkEvmRetryAfterReading>;

/**
 * Whether a collection refresh spends the push budget when `limits.collectionRefresh` is not
 * given: `shared`, the cheaper reading to be wrong about (see `ZkEvmLimits.collectionRefresh`).
 */
export const DEFAULT_COLLECTION_REFRESH: ZkEvmCollectionRefreshBudget = 'shared';
/** The readings of a collection refresh's cost the engine offers. */
export const COLLECTION_REFRESH_READINGS = [
  'shared',
  'separate',
] as const satisfies ReadonlyArray<ZkEvmCollectionRefreshBudget>;

/** The collection refresh's rules, every default applied. */
export interface CollectionRules {
  budget: ZkEvmCollectionRefreshBudget;
  maxBytes: number;
}

/**
 * The collection refresh's rules `limits` asks for.
 *
 * @throws {InvalidOptionError} a `collectionRefresh` that is not a known reading, or a
 * `collectionMetadataMaxBytes` that is not a positive integer.
 */
export function collectionRulesOf(limits: ZkEvmLimits | undefined): CollectionRules {
  const budget = limits?.collectionRefresh ?? DEFAULT_COLLECTION_REFRESH;
  if (!COLLECTION_REFRESH_READINGS.includes(budget)) {
    throw check.invalid(
      'limits.collectionRefresh',
      `must be ${COLLECTION_REFRESH_READINGS.map((r) => `'${r}'`).join(' or ')}`,
    );
  }
  const maxBytes = positiveInt(
    limits?.collectionMetadataMaxBytes,
    DEFAULT_COLLECTION_METADATA_MAX_BYTES,
    'limits.collectionMetadataMaxBytes',
  );
  return { budget, maxBytes };
}

/** The budget's rules, every default applied. */
export interface BudgetRules {
  limit: number;
  windowMs: number;
  retryAfter: ZkEvmRetryAfterReading;
  /** The least time between accepted pushes under `pacing`; unused under `window`. */
  pacingMs: number;
}

/** The checks of the service's options. */
const check = optionChecks('createZkEvmService');

function positiveInt(value: number | undefined, fallback: number, name: string): number {
  return check.positiveInteger(name, value ?? fallback);
}

/**
 * The rules `limits` asks for.
 *
 * @throws {InvalidOptionError} a count or a duration that is not a positive integer, a `retryAfter` that
 * is not a known reading, or a `pacingMs` without `retryAfter: 'pacing'` (it would do nothing).
 */
export function budgetRulesOf(limits: ZkEvmLimits | undefined): BudgetRules {
  const limit = positiveInt(
    limits?.refreshesPerHour,
    DEFAULT_REFRESHES_PER_HOUR,
    'limits.refreshesPerHour',
  );
  const windowMs = positiveInt(limits?.windowMs, DEFAULT_WINDOW_MS, 'limits.windowMs');
  const retryAfter = limits?.retryAfter ?? DEFAULT_RETRY_AFTER;
  if (!RETRY_AFTER_READINGS.includes(retryAfter)) {
    throw check.invalid(
      'limits.retryAfter',
      `must be ${RETRY_AFTER_READINGS.map((r) => `'${r}'`).join(' or ')}`,
    );
  }
  if (limits?.pacingMs !== undefined && retryAfter !== 'pacing') {
    throw check.invalid('limits.pacingMs', "applies only with limits.retryAfter 'pacing'");
  }
  // The budget spread evenly over the window, in whole ms.
  const pacingMs = positiveInt(limits?.pacingMs, Math.ceil(windowMs / limit), 'limits.pacingMs');
  return { limit, windowMs, retryAfter, pacingMs };
}
