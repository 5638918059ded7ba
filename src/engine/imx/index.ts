/** What adapters (node:http server, msw) import from the Immutable X reference engine: listed, not `*`. */

export {
  createRefreshService,
  DEFAULT_PAGE_SIZE,
  MAX_PAGE_SIZE,
  type RefreshService,
} from './service.js';
export type { RefreshRecordWire } from './store.js';
export type {
  CollectionConfig,
  FetchMetadata,
  MetadataFetchRequest,
  MetadataFetchResult,
  RefreshSeed,
  RefreshServiceOptions,
  SeedError,
  ServiceLimits,
} from './types.js';
