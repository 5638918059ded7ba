/** The two refresh POSTs: validate, check existence, spend the budget, queue the push. */

import { repeatsOf } from '../../wire/token-id.js';
import {
  refreshNftMetadataRequestSchema,
  refreshStackedMetadataRequestSchema,
} from '../../wire/zkevm/schemas.js';
import type { ParsedRequest } from '../request.js';
import { readBody } from './body.js';
import type { RouteContext } from './context.js';
import { rateLimitHeaders, rateLimitResult } from './rate-limit-answer.js';
import { fail, notFound, type RouteResult, type ZkEvmErrorSpec } from './responses.js';
import type { CollectionState, Push } from './state.js';
import type { ZkEvmBudgetSnapshot } from './types.js';

/** Most missing ids a 404 lists in its details. */
const MAX_LISTED_MISSING = 20;

/**
 * Spends one refresh request now: the rate-limit headers of the answer, or the 429 that refuses
 * it (spending nothing). Synchronous from the check to the spend, so concurrent requests can
 * never overspend; the caller queues its push in the same synchronous step.
 */
export function spendOne(
  ctx: RouteContext,
  now: number,
): { headers: Record<string, string>; budget: ZkEvmBudgetSnapshot } | { error: ZkEvmErrorSpec } {
  const taken = ctx.budget.take(now);
  const headers = rateLimitHeaders(taken.budget);
  if (!taken.accepted) {
    return {
      error: {
        code: 'TOO_MANY_REQUESTS_ERROR',
        message:
          taken.budget.remaining > 0
            ? 'Too many metadata refreshes: wait before the next one'
            : 'Too many metadata refreshes: wait for the window to reset',
        details: { retry_after_seconds: Number(headers['retry-after']) },
        headers,
      },
    };
  }
  return { headers, budget: taken.budget };
}

/**
 * Spends one request and queues the push, or answers 429. Everything that can refuse the
 * request has run before this, so a refused request never costs budget.
 */
function accept(ctx: RouteContext, push: (nowMs: number) => Push): RouteResult {
  const now = ctx.clock.now();
  const spent = spendOne(ctx, now);
  if ('error' in spent) return spent;
  ctx.state.enqueue(push(now));
  return { status: 202, headers: spent.headers, body: rateLimitResult(spent.budget) };
}

function duplicateError(ids: string[], list: string, key: string): RouteResult | undefined {
  const [repeat] = repeatsOf(ids);
  if (repeat === undefined) return undefined;
  const field = `${list}[${repeat.index}].${key}`;
  return fail('VALIDATION_ERROR', `${field}: ${repeat.id} appears more than once`, { field });
}

/** `POST …/nfts/refresh-metadata`. */
export async function refreshNfts(
  ctx: RouteContext,
  req: ParsedRequest,
  collection: CollectionState,
): Promise<RouteResult> {
  const body = await readBody(req, refreshNftMetadataRequestSchema, '{ "nft_metadata": [...] }');
  if (!('data' in body)) return body;
  const items = body.data.nft_metadata;
  const ids = items.map((item) => item.token_id);
  if (ctx.duplicates === 'reject') {
    const duplicate = duplicateError(ids, 'nft_metadata', 'token_id');
    if (duplicate) return duplicate;
  }
  const missing = ids.filter((id) => !ctx.state.isMinted(collection, id));
  if (missing.length > 0) {
    return notFound(`NFT ${missing[0]} of collection ${collection.address}`, {
      token_ids: [...new Set(missing)].slice(0, MAX_LISTED_MISSING),
    });
  }
  return accept(ctx, (now) => ({
    kind: 'tokens',
    address: collection.address,
    dueMs: now + ctx.syncDelayMs,
    items: items.map(({ token_id, ...fields }) => ({ tokenId: token_id, fields })),
  }));
}

/** `POST …/metadata/refresh-metadata`. */
export async function refreshStacks(
  ctx: RouteContext,
  req: ParsedRequest,
  collection: CollectionState,
): Promise<RouteResult> {
  const body = await readBody(req, refreshStackedMetadataRequestSchema, '{ "metadata": [...] }');
  if (!('data' in body)) return body;
  const items = body.data.metadata;
  // UUIDs compare case-insensitively.
  const ids = items.map((item) => item.metadata_id.toLowerCase());
  if (ctx.duplicates === 'reject') {
    const duplicate = duplicateError(ids, 'metadata', 'metadata_id');
    if (duplicate) return duplicate;
  }
  const missing = ids.filter((id) => !ctx.state.hasStack(collection, id));
  if (missing.length > 0) {
    return notFound(`Metadata ${missing[0]} of collection ${collection.address}`, {
      metadata_ids: [...new Set(missing)].slice(0, MAX_LISTED_MISSING),
    });
  }
  return accept(ctx, (now) => ({
    kind: 'stacks',
    address: collection.address,
    dueMs: now + ctx.syncDelayMs,
    items: items.map(({ metadata_id, ...fields }) => ({ metadataId: metadata_id, fields })),
  }));
}
