/** Pure functions from validated wire shapes (snake_case) to the public camelCase types. */
import type { z } from 'zod';
import type {
  RefreshErrorCode,
  RefreshStatus,
  refreshErrorRowSchema,
  refreshListItemWireSchema,
  refreshWireSchema,
} from './schemas.js';
import { normalizeStatusCode } from './schemas.js';

/** Token counts of one refresh. `succeeded + failed + pending` is the number of distinct tokens. */
export interface RefreshSummary {
  /** Tokens whose metadata was updated. */
  succeeded: number;
  /** Tokens whose metadata could not be updated (see `getRefreshErrors`). */
  failed: number;
  /** Tokens not processed yet. */
  pending: number;
}

/** A refresh as listed by `listRefreshes` (no summary). */
export interface RefreshListItem {
  /** The refresh's id (a receipt returned by `requestRefresh`). */
  refreshId: string;
  /** `queued` → `in_progress` → `completed`. */
  status: RefreshStatus;
  /** The collection the refresh belongs to. */
  collectionAddress: string;
  /** When the refresh was accepted (ISO 8601, as sent by the API, microseconds kept). */
  startedAt: string;
  /** When the last token was processed (ISO 8601), or null while not completed. */
  completedAt: string | null;
}

/** A refresh with its token counts, as returned by `getRefresh`. */
export interface Refresh extends RefreshListItem {
  /** Token counts, updated as the refresh progresses. */
  summary: RefreshSummary;
}

/** One token that a refresh failed to update, with the reason. */
export interface RefreshError {
  /** The token that failed. */
  tokenId: string;
  /** Its collection. */
  collectionAddress: string;
  /** The Metadata API URL the service requested for this token. */
  clientTokenMetadataUrl: string;
  /** The Metadata API's HTTP status, or null when no response arrived. */
  clientResponseStatusCode: number | null;
  /** The Metadata API's response body (possibly cut), or null. */
  clientResponseBody: string | null;
  /** Why the token failed; one of the documented codes, or a newer one passed through. */
  errorCode: RefreshErrorCode | (string & {});
  /** When the failure was recorded (ISO 8601). */
  createdAt: string;
}

/** One page of a cursor-paginated list. */
export interface CursorPage<T> {
  /** The rows of this page. */
  result: T[];
  /** Pass as `cursor` to get the next page. */
  cursor: string;
  /** True when more rows follow (the wire's `remaining: 1`). */
  hasMore: boolean;
}

/** Maps a validated list row to {@link RefreshListItem}. */
export function toRefreshListItem(w: z.output<typeof refreshListItemWireSchema>): RefreshListItem {
  return {
    refreshId: w.refresh_id,
    status: w.status,
    collectionAddress: w.collection_address,
    startedAt: w.started_at,
    completedAt: w.completed_at,
  };
}

/** Maps a validated refresh to {@link Refresh}. */
export function toRefresh(w: z.output<typeof refreshWireSchema>): Refresh {
  return { ...toRefreshListItem(w), summary: { ...w.summary } };
}

/** Maps a validated error row to {@link RefreshError}. */
export function toRefreshError(w: z.output<typeof refreshErrorRowSchema>): RefreshError {
  return {
    tokenId: w.token_id,
    collectionAddress: w.collection_address,
    clientTokenMetadataUrl: w.client_token_metadata_url,
    clientResponseStatusCode: normalizeStatusCode(w.client_response_status_code),
    clientResponseBody: w.client_response_body ?? null,
    errorCode: w.error_code,
    createdAt: w.created_at,
  };
}

/** Maps a validated wire page to {@link CursorPage}, converting each row with `map`. */
export function toCursorPage<W, T>(
  w: { result: W[]; cursor: string; remaining: number },
  map: (row: W) => T,
): CursorPage<T> {
  return { result: w.result.map(map), cursor: w.cursor, hasMore: w.remaining > 0 };
}
