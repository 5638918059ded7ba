/**
 * imx-metadata-refresh: typed clients of the Immutable X metadata refresh API
 * (`MetadataRefreshClient`) and of its live successor, the Immutable zkEVM metadata push
 * (`ZkEvmMetadataClient`).
 * This entry loads only the client (zod and `@noble` at import; axios on the first request); the
 * reference server, the msw mock and the Redis store live behind their own entries.
 *
 * @packageDocumentation
 */
export { type ImxAuthHeaders, type ImxAuthHeadersOptions, imxAuthHeaders } from './auth/headers.js';
export {
  type EthersLikeSigner,
  type ImxSigner,
  privateKeyToAddress,
  type ViemLikeAccount,
  type ViemSignMessageParameters,
} from './auth/signer.js';
export { type VerifyImxSignatureParameters, verifyImxSignature } from './auth/verify.js';
export {
  type CallOptions,
  IMX_BASE_URLS,
  type ImxEnvironment,
  type IterateParameters,
  type IterateRefreshesParameters,
  type ListRefreshesParameters,
  MetadataRefreshClient,
  type MetadataRefreshClientOptions,
  type PageParameters,
  type RequestRefreshParameters,
  type RequestRefreshResult,
} from './client/client.js';
export type { SharedClientOptions } from './client/options.js';
export type { ResumableIterator, ResumeOptions } from './client/paginate.js';
export type { RequestRefreshesResult } from './client/request-refreshes.js';
export type { HttpMethod } from './client/retry.js';
export type { ResponseInfo } from './client/transport.js';
export type { WaitForRefreshOptions } from './client/wait.js';
export {
  type AcceptedPush,
  type GetCollectionParameters,
  type GetMetadataParameters,
  type GetNftParameters,
  type IterateMetadataParameters,
  type IterateNftsParameters,
  type ListMetadataParameters,
  type ListNftsParameters,
  type MetadataListFilter,
  type MetadataPage,
  type NftListFilter,
  type NftPage,
  type RefreshCollectionMetadataParameters,
  type RefreshCollectionMetadataResult,
  type RefreshNftMetadataParameters,
  type RefreshNftsMetadataResult,
  type RefreshStackedMetadataParameters,
  type WaitForNftMetadataParameters,
  ZkEvmMetadataClient,
  type ZkEvmMetadataClientOptions,
  type ZkEvmRefreshResult,
} from './client/zkevm-client.js';
export type {
  MetadataPushFields,
  NftMetadataPush,
  StackedMetadataPush,
} from './client/zkevm-validate.js';
// systemClock stays public: a Clock of your own (logging, scaled time) can delegate to it.
export { type Clock, systemClock } from './clock.js';
export {
  AbortError,
  type AcceptedRefresh,
  type AcceptedRequest,
  ApiError,
  type ApiErrorOptions,
  type ApiErrorResponse,
  AuthenticationError,
  BadRequestError,
  ConnectionError,
  type ConnectionErrorOptions,
  DEFAULT_MAX_RESPONSE_BYTES,
  type ErrorCause,
  InternalServerError,
  InvalidOptionError,
  type InvalidOptionErrorOptions,
  InvalidRequestError,
  MetadataRefreshError,
  type MetadataRefreshErrorOptions,
  NotFoundError,
  OutboxFullError,
  type OutboxFullErrorOptions,
  PaginationCycleError,
  type PaginationCycleErrorOptions,
  PermissionDeniedError,
  RateLimitError,
  type RateLimitErrorOptions,
  RedirectError,
  type RedirectErrorOptions,
  type RefreshNftsMetadataProgress,
  type RequestProgress,
  type RequestProgressOf,
  type RequestRefreshesProgress,
  type RequestTarget,
  type ResponseHeaders,
  ResponseTooLargeError,
  type ResponseTooLargeErrorOptions,
  ResponseValidationError,
  type ResponseValidationErrorOptions,
  SignerError,
  StoreUnavailableError,
  type StoreUnavailableErrorOptions,
  TimeoutError,
  type TimeoutErrorOptions,
} from './errors.js';
export type {
  FetchMetadata,
  MetadataFetchRequest,
  MetadataFetchResult,
} from './metadata-api/types.js';
export type { BudgetState } from './scheduler/learned-budget.js';
export { RefreshScheduler } from './scheduler/scheduler.js';
export type { SendFailure } from './scheduler/send-failure.js';
export {
  type MetadataApiSourceOptions,
  metadataApiSource,
} from './scheduler/sources/metadata-api-source.js';
export {
  MetadataReadError,
  type MetadataReadErrorOptions,
  type MetadataSource,
  type MetadataSourceOptions,
} from './scheduler/sources/metadata-source.js';
export {
  type CompleteBatchParameters,
  type EnqueueParameters,
  type KeepTokensParameters,
  type LeasedBatch,
  type MarkSentParameters,
  type MarkUncertainParameters,
  MemoryStore,
  type PendingCollection,
  type PendingToken,
  type ReclaimExpiredParameters,
  type ReleaseBatchParameters,
  type RenewLeasesParameters,
  type SchedulerStore,
  type SchedulerStoreOptions,
  type StoreCounts,
  type StoredBudget,
  type TakeBatchParameters,
  type WriteBudgetParameters,
} from './scheduler/store.js';
export {
  type ImxTargetOptions,
  imxTarget,
  type SchedulerClient,
} from './scheduler/targets/imx-target.js';
export type {
  AcceptedSend,
  BudgetReport,
  PollOutcome,
  PollParameters,
  PreparedBatch,
  PrepareParameters,
  ReconcileParameters,
  SchedulerTarget,
  SendParameters,
  SentBatch,
  TargetBudget,
  UnsendableToken,
} from './scheduler/targets/target.js';
export {
  type ZkEvmSchedulerClient,
  type ZkEvmTargetOptions,
  zkEvmTarget,
} from './scheduler/targets/zkevm-target.js';
export type {
  CollectionTokenIds,
  RefreshSchedulerOptions,
  SchedulerEvent,
  SchedulerStats,
  SchedulerStopOptions,
  SchedulerStopResult,
} from './scheduler/types.js';
export {
  fileSyncCheckpoint,
  memorySyncCheckpoint,
  type SyncCheckpoint,
  type SyncCheckpointStore,
  type SyncCounts,
} from './sync/checkpoint.js';
export {
  type DriftSample,
  type SyncCollectionParameters,
  type SyncProgress,
  type SyncReport,
  type SyncScheduler,
  syncCollection,
  type UnreadableToken,
  type ZkEvmSyncClient,
} from './sync/sync-collection.js';
export type { HeadersLike } from './wire/headers.js';
export {
  MAX_PAGE_SIZE,
  MAX_TOKENS_PER_REFRESH,
  REFRESH_POLL,
  REFRESH_WINDOW_MS,
  REFRESHES_PER_WINDOW,
} from './wire/limits.js';
export type {
  CursorPage,
  Refresh,
  RefreshError,
  RefreshListItem,
  RefreshSummary,
} from './wire/mappers.js';
export { parseRateLimit, type RateLimit } from './wire/rate-limit.js';
// Every rate-limit form both clients read, public so a caller reading headers on their own
// (a proxy, a queue worker) reads them as the clients do.
export {
  MAX_RESET_AHEAD_MS,
  MAX_RETRY_AFTER_MS,
  parseResetTime,
  parseRetryAfter,
} from './wire/rate-limit-forms.js';
// The wire shapes a user may validate against or type a fixture with; the engine's and the
// client's helpers stay internal.
export {
  type ApiErrorBodyWire,
  apiErrorBodySchema,
  type CreateRefreshRequestWire,
  type CreateRefreshResponseWire,
  type CursorPageWire,
  createRefreshRequestSchema,
  createRefreshResponseSchema,
  REFRESH_ERROR_CODES,
  REFRESH_STATUSES,
  type RefreshErrorCode,
  type RefreshErrorWire,
  type RefreshListItemWire,
  type RefreshStatus,
  type RefreshWire,
  refreshErrorsPageWireSchema,
  refreshErrorWireSchema,
  refreshListItemWireSchema,
  refreshListPageWireSchema,
  refreshWireSchema,
} from './wire/schemas.js';
export {
  type CanonicalAttribute,
  type CanonicalMetadata,
  canonicalMetadata,
  METADATA_FIELDS,
  type MetadataField,
  metadataDrift,
} from './wire/zkevm/canonical.js';
export { ZKEVM_ENVIRONMENTS, type ZkEvmEnvironmentName } from './wire/zkevm/limits.js';
export type {
  Collection,
  CollectionMetadata,
  DisplayType,
  Nft,
  NftAttribute,
  NftMetadata,
  StackedMetadata,
} from './wire/zkevm/mappers.js';
export type { ZkEvmRateLimit } from './wire/zkevm/rate-limit.js';
