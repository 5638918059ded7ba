/**
 * imx-metadata-refresh/msw: the metadata refresh API mocked for unit tests, by the same engine as
 * the reference server. Needs msw 2 (an optional peer dependency).
 *
 * @packageDocumentation
 */
export type { Clock } from '../clock.js';
export type {
  CollectionConfig,
  RefreshRecordWire,
  RefreshSeed,
  RefreshService,
  RefreshServiceOptions,
  SeedError,
  ServiceLimits,
} from '../engine/imx/index.js';
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
export type {
  Collection,
  CollectionMetadata,
  Nft,
  NftAttribute,
  NftMetadata,
  StackedMetadata,
} from '../wire/zkevm/mappers.js';
export {
  createMetadataRefreshMock,
  type InjectedFailure,
  type MetadataAnswer,
  type MetadataRefreshMock,
  type MetadataRefreshMockOptions,
  type MockCollection,
  metadataAnswer,
  type RecordedRequest,
  type ResolveMetadata,
} from './mock.js';
export { createZkEvmMock, type ZkEvmMock, type ZkEvmMockOptions } from './zkevm-mock.js';
