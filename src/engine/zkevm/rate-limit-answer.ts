/** The budget as a refresh answer carries it: four headers, and their copy in the 202 body. */
import { ZKEVM_RATE_LIMIT_HEADERS } from '../../wire/zkevm/limits.js';
import {
  formatGoTime,
  formatRetryAfterBody,
  formatRetryAfterHeader,
} from '../../wire/zkevm/rate-limit.js';
import type { RateLimitResultWire } from '../../wire/zkevm/schemas.js';
import type { ZkEvmBudgetSnapshot } from './types.js';

/** The four rate-limit headers, on every 202 and 429 of a refresh. */
export function rateLimitHeaders(budget: ZkEvmBudgetSnapshot): Record<string, string> {
  const h = ZKEVM_RATE_LIMIT_HEADERS;
  return {
    [h.limit]: String(budget.limit),
    [h.remaining]: String(budget.remaining),
    [h.reset]: formatGoTime(budget.resetAtMs),
    [h.retryAfter]: formatRetryAfterHeader(budget.retryAfterMs),
  };
}

/** The 202 body: the same budget as strings, `retry_after` in the platform's sample form. */
export function rateLimitResult(budget: ZkEvmBudgetSnapshot): RateLimitResultWire {
  return {
    imx_refreshes_limit: String(budget.limit),
    imx_refresh_limit_reset: formatGoTime(budget.resetAtMs),
    imx_remaining_refreshes: String(budget.remaining),
    retry_after: formatRetryAfterBody(budget.retryAfterMs),
  };
}
