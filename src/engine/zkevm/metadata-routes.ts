/** The stacked-metadata reads: one metadata by id, and a collection's metadata a page at a time. */
import { METADATA_ID_PATTERN } from '../../wire/zkevm/schemas.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import type { ParsedRequest } from '../request.js';
import type { RouteContext } from './context.js';
import { badQuery, pagingQuery } from './nft-routes.js';
import { stackToWire } from './nft-wire.js';
import { fail, notFound, type RouteResult } from './responses.js';
import type { CollectionState, StackRecord } from './state.js';

/** `GET …/metadata/{metadata_id}`. */
export function getMetadata(
  ctx: RouteContext,
  collection: CollectionState,
  metadataId: string,
): RouteResult {
  if (!METADATA_ID_PATTERN.test(metadataId)) {
    return fail('VALIDATION_ERROR', 'metadata_id must be a UUID', { field: 'metadata_id' });
  }
  const stack = ctx.state.stack(collection, metadataId);
  if (!stack) return notFound(`Metadata ${metadataId} of collection ${collection.address}`);
  return { status: 200, headers: {}, body: { result: stackToWire(stack, collection, ctx.chain) } };
}

interface Cursor {
  /** `next`: the page after this row; `prev`: the page before it. */
  direction: 'next' | 'prev';
  /** The row's creation time in ms, in decimal, and its id: the sort key. */
  created: string;
  id: string;
}

const CURSOR_FIELDS = ['direction', 'created', 'id'] as const;

function readCursor(raw: string | null): Cursor | undefined | 'invalid' {
  if (raw === null || raw === '') return undefined;
  const key = decodeCursor(raw, CURSOR_FIELDS);
  if (!key || (key.direction !== 'next' && key.direction !== 'prev')) return 'invalid';
  if (!/^\d{1,16}$/.test(key.created) || !METADATA_ID_PATTERN.test(key.id)) return 'invalid';
  return { direction: key.direction, created: key.created, id: key.id.toLowerCase() };
}

/** Orders rows by creation time, then id: a key that does not move when a stack is refreshed. */
function compare(row: StackRecord, key: { created: string; id: string }): number {
  const created = Number(key.created);
  if (row.createdAtMs !== created) return row.createdAtMs < created ? -1 : 1;
  return row.id < key.id ? -1 : row.id > key.id ? 1 : 0;
}

/**
 * `GET …/metadata`: the collection's stacked metadata, oldest first (by creation, then id), so a
 * cursor stays valid while stacks are refreshed or made. `from_updated_at` keeps those updated
 * at or after it (a stack's `updated_at` is its creation until a refresh by metadata id moves it).
 */
export function listMetadata(
  ctx: RouteContext,
  req: ParsedRequest,
  collection: CollectionState,
): RouteResult {
  const paging = pagingQuery(req);
  if (!('pageSize' in paging)) return paging;
  const cursor = readCursor(req.query.get('page_cursor'));
  if (cursor === 'invalid') return badQuery('page_cursor', 'is not a cursor this API returned');
  const { pageSize, fromUpdatedAtMs } = paging;
  const rows = ctx.state
    .stacks(collection)
    .filter((s) => fromUpdatedAtMs === undefined || s.updatedAtMs >= fromUpdatedAtMs)
    .sort((a, b) => compare(a, { created: String(b.createdAtMs), id: b.id }));
  let start = 0;
  let end = Math.min(rows.length, pageSize);
  if (cursor?.direction === 'next') {
    start = rows.findIndex((r) => compare(r, cursor) > 0);
    if (start === -1) start = rows.length;
    end = Math.min(rows.length, start + pageSize);
  } else if (cursor?.direction === 'prev') {
    end = rows.findIndex((r) => compare(r, cursor) >= 0);
    if (end === -1) end = rows.length;
    start = Math.max(0, end - pageSize);
  }
  const result = rows.slice(start, end);
  const key = (direction: Cursor['direction'], row: StackRecord | undefined, exists: boolean) =>
    exists && row
      ? encodeCursor({ direction, created: String(row.createdAtMs), id: row.id })
      : null;
  return {
    status: 200,
    headers: {},
    body: {
      result: result.map((stack) => stackToWire(stack, collection, ctx.chain)),
      page: {
        previous_cursor: key('prev', result[0], start > 0),
        next_cursor: key('next', result.at(-1), end < rows.length),
      },
    },
  };
}
