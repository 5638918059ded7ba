/** What adapters (node:http server, msw) import from the zkEVM reference engine: listed, not `*`. */

/** The error shape and the rate-limit headers, for adapters' own answers (a 500, an injected failure). */
export { spentBudget } from './budget.js';
export {
  COLLECTION_REFRESH_READINGS,
  DEFAULT_COLLECTION_REFRESH,
  DEFAULT_REFRESHES_PER_HOUR,
  DEFAULT_RETRY_AFTER,
  DEFAULT_WINDOW_MS,
  RETRY_AFTER_READINGS,
} from './limits.js';
export { rateLimitHeaders } from './rate-limit-answer.js';
export { errorResponse } from './responses.js';
export { createZkEvmService, DEFAULT_SYNC_DELAY_MS } from './service.js';
export type {
  ApiKeyRule,
  MintedNft,
  ZkEvmBudgetSnapshot,
  ZkEvmCollectionConfig,
  ZkEvmCollectionMetadataSeed,
  ZkEvmCollectionRefreshBudget,
  ZkEvmControls,
  ZkEvmLimits,
  ZkEvmRetryAfterReading,
  ZkEvmService,
  ZkEvmServiceOptions,
  ZkEvmVerificationStatus,
} from './types.js';

/**
 * Whether a request path (with or without its query) is the zkEVM API's: everything it serves is
 * under `/v1/chains/`, which the Immutable X API never uses. Lets one adapter serve both APIs.
 */
export function isZkEvmPath(path: string): boolean {
  return /^\/v1\/chains(?:[/?]|$)/.test(path);
}
