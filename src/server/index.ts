/**
 * imx-metadata-refresh/server: the reference metadata refresh service, as a node:http server and
 * as the transport-neutral engine behind it.
 *
 * @packageDocumentation
 */

export { DEFAULT_MAX_METADATA_BYTES, MAX_ERROR_BODY_LENGTH } from '../engine/fetch-outcome.js';
export { logServiceError } from '../engine/log-error.js';
export { MAX_BODY_BYTES } from '../engine/request.js';
export {
  createRefreshService,
  DEFAULT_PAGE_SIZE,
  MAX_PAGE_SIZE,
  type RefreshService,
} from '../engine/service.js';
export type { RefreshRecordWire } from '../engine/store.js';
export type {
  CollectionConfig,
  FetchMetadata,
  MetadataFetchRequest,
  MetadataFetchResult,
  ReadBody,
  RefreshServiceOptions,
  ServiceClock,
  ServiceErrorContext,
  ServiceLimits,
  ServiceRequest,
  ServiceResponse,
} from '../engine/types.js';
export { fetchMetadataOverHttp } from './fetch-metadata.js';
export {
  createReferenceServer,
  type ReferenceServer,
  type ReferenceServerOptions,
} from './reference-server.js';
