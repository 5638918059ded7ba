/**
 * imx-metadata-refresh/server: the reference metadata refresh service, as a node:http server and
 * as the transport-neutral engine behind it, and a Metadata API to run it against.
 *
 * @packageDocumentation
 */

export {
  type CollectionConfig,
  createRefreshService,
  DEFAULT_PAGE_SIZE,
  type FetchMetadata,
  MAX_PAGE_SIZE,
  type MetadataFetchRequest,
  type MetadataFetchResult,
  type RefreshRecordWire,
  type RefreshSeed,
  type RefreshService,
  type RefreshServiceOptions,
  type SeedError,
  type ServiceLimits,
} from '../engine/imx/index.js';
export { logServiceError } from '../engine/log-error.js';
export { MAX_BODY_BYTES } from '../engine/request.js';
export type {
  ReadBody,
  ServiceClock,
  ServiceErrorContext,
  ServiceRequest,
  ServiceResponse,
} from '../engine/types.js';
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
} from '../engine/zkevm/index.js';
export {
  createZkEvmService,
  DEFAULT_COLLECTION_REFRESH as ZKEVM_DEFAULT_COLLECTION_REFRESH,
  DEFAULT_REFRESHES_PER_HOUR as ZKEVM_DEFAULT_REFRESHES_PER_HOUR,
  DEFAULT_RETRY_AFTER as ZKEVM_DEFAULT_RETRY_AFTER,
  DEFAULT_SYNC_DELAY_MS as ZKEVM_DEFAULT_SYNC_DELAY_MS,
  DEFAULT_WINDOW_MS as ZKEVM_DEFAULT_WINDOW_MS,
} from '../engine/zkevm/index.js';
export { fetchMetadataOverHttp } from '../metadata-api/fetch-over-http.js';
export { DEFAULT_MAX_METADATA_BYTES, MAX_ERROR_BODY_LENGTH } from '../metadata-api/limits.js';
export type {
  Collection,
  CollectionMetadata,
  DisplayType,
  Nft,
  NftAttribute,
  NftMetadata,
  StackedMetadata,
} from '../wire/zkevm/mappers.js';
export {
  type MetadataApiAnswer,
  type MetadataApiHandler,
  type MetadataApiRequest,
  type MetadataApiServer,
  type MetadataApiServerOptions,
  startMetadataApiServer,
} from './metadata-api-server.js';
export {
  createReferenceServer,
  type ReferenceServer,
  type ReferenceServerOptions,
} from './reference-server.js';
export {
  type CombinedReferenceServer,
  type CombinedReferenceServerOptions,
  createCombinedReferenceServer,
  createZkEvmReferenceServer,
  type ZkEvmReferenceServer,
  type ZkEvmReferenceServerOptions,
} from './zkevm-reference-server.js';
