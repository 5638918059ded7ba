/** The public NFT reads: one NFT, and a collection's NFTs a page at a time. */
import {
  DEFAULT_PAGE_SIZE,
  MAX_PAGE_SIZE,
  MAX_TOKEN_ID_FILTERS,
  uint256Problem,
} from '../../wire/zkevm/limits.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import type { ParsedRequest } from '../request.js';
import type { RouteContext } from './context.js';
import { nftToWire } from './nft-wire.js';
import { fail, notFound, type RouteResult } from './responses.js';
import type { CollectionState, NftRecord } from './state.js';

/** `GET …/nfts/{token_id}`. */
export function getNft(
  ctx: RouteContext,
  collection: CollectionState,
  tokenId: string,
): RouteResult {
  const problem = uint256Problem(tokenId);
  if (problem) return fail('VALIDATION_ERROR', `token_id ${problem}`, { field: 'token_id' });
  const nft = ctx.state.nft(collection, tokenId, ctx.clock.now());
  if (!nft) return notFound(`NFT ${tokenId} of collection ${collection.address}`);
  return { status: 200, headers: {}, body: { result: nftToWire(nft, collection, ctx.chain) } };
}

interface Cursor {
  /** `next`: the page after `token`; `prev`: the page before it. */
  direction: 'next' | 'prev';
  token: string;
}

const CURSOR_FIELDS = ['direction', 'token'] as const;

function readCursor(raw: string | null): Cursor | undefined | 'invalid' {
  if (raw === null || raw === '') return undefined;
  const key = decodeCursor(raw, CURSOR_FIELDS);
  if (!key || (key.direction !== 'next' && key.direction !== 'prev')) return 'invalid';
  if (uint256Problem(key.token)) return 'invalid';
  return { direction: key.direction, token: key.token };
}

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})$/i;

interface ListQuery {
  pageSize: number;
  cursor: Cursor | undefined;
  tokenIds: Set<string> | undefined;
  fromUpdatedAtMs: number | undefined;
}

/** The paging and `from_updated_at` parameters both lists (`ListNFTs`, `ListMetadata`) share. */
export interface PagingQuery {
  pageSize: number;
  fromUpdatedAtMs: number | undefined;
}

/** Reads `page_size` and `from_updated_at`, or answers 400 naming the parameter. */
export function pagingQuery(req: ParsedRequest): PagingQuery | RouteResult {
  const rawSize = req.query.get('page_size');
  let pageSize = DEFAULT_PAGE_SIZE;
  if (rawSize !== null) {
    if (!/^\d{1,3}$/.test(rawSize) || Number(rawSize) < 1 || Number(rawSize) > MAX_PAGE_SIZE) {
      return badQuery('page_size', `must be an integer from 1 to ${MAX_PAGE_SIZE}`);
    }
    pageSize = Number(rawSize);
  }
  const rawFrom = req.query.get('from_updated_at');
  let fromUpdatedAtMs: number | undefined;
  if (rawFrom !== null) {
    fromUpdatedAtMs = ISO_DATE_TIME.test(rawFrom) ? Date.parse(rawFrom) : Number.NaN;
    if (Number.isNaN(fromUpdatedAtMs))
      return badQuery('from_updated_at', 'must be an ISO 8601 date-time');
  }
  return { pageSize, fromUpdatedAtMs };
}

/** A 400 for a query parameter. */
export const badQuery = (field: string, why: string) =>
  fail('VALIDATION_ERROR', `${field} ${why}`, { field });

function listQuery(req: ParsedRequest): ListQuery | RouteResult {
  const paging = pagingQuery(req);
  if (!('pageSize' in paging)) return paging;
  const cursor = readCursor(req.query.get('page_cursor'));
  if (cursor === 'invalid') return badQuery('page_cursor', 'is not a cursor this API returned');
  const ids = req.query.getAll('token_id');
  if (ids.length > MAX_TOKEN_ID_FILTERS) {
    return badQuery('token_id', `may be given at most ${MAX_TOKEN_ID_FILTERS} times`);
  }
  for (const id of ids) {
    const problem = uint256Problem(id);
    if (problem) return badQuery('token_id', problem);
  }
  return {
    ...paging,
    cursor,
    tokenIds: ids.length > 0 ? new Set(ids) : undefined,
  };
}

const after = (a: string, b: string) => BigInt(a) > BigInt(b);

/** The page's rows, and whether rows lie before and after it. */
function page(rows: NftRecord[], q: ListQuery) {
  let start = 0;
  let end = rows.length;
  if (q.cursor?.direction === 'next') {
    const token = q.cursor.token;
    start = rows.findIndex((r) => after(r.tokenId, token));
    if (start === -1) start = rows.length;
    end = Math.min(rows.length, start + q.pageSize);
  } else if (q.cursor?.direction === 'prev') {
    const token = q.cursor.token;
    end = rows.findIndex((r) => !after(token, r.tokenId));
    if (end === -1) end = rows.length;
    start = Math.max(0, end - q.pageSize);
  } else {
    end = Math.min(rows.length, q.pageSize);
  }
  return { rows: rows.slice(start, end), hasBefore: start > 0, hasAfter: end < rows.length };
}

/**
 * `GET …/nfts`, in numeric token id order. Lists the NFTs the service holds a record of: the
 * configured and minted ones, and, where every token id counts as minted, those pushed or read.
 * `updated_at` moves on mint and on every metadata sync, so `from_updated_at` finds changes.
 */
export function listNfts(
  ctx: RouteContext,
  req: ParsedRequest,
  collection: CollectionState,
): RouteResult {
  const q = listQuery(req);
  if (!('pageSize' in q)) return q;
  const rows = ctx.state
    .sortedNfts(collection)
    .filter(
      (nft) =>
        (q.tokenIds === undefined || q.tokenIds.has(nft.tokenId)) &&
        (q.fromUpdatedAtMs === undefined || nft.updatedAtMs >= q.fromUpdatedAtMs),
    );
  const { rows: result, hasBefore, hasAfter } = page(rows, q);
  const first = result[0];
  const last = result.at(-1);
  const cursor = (direction: Cursor['direction'], row: NftRecord | undefined, exists: boolean) =>
    exists && row ? encodeCursor({ direction, token: row.tokenId }) : null;
  return {
    status: 200,
    headers: {},
    body: {
      result: result.map((nft) => nftToWire(nft, collection, ctx.chain)),
      page: {
        previous_cursor: cursor('prev', first, hasBefore),
        next_cursor: cursor('next', last, hasAfter),
      },
    },
  };
}
