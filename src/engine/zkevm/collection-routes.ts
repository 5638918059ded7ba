/** The collection routes: read it, and refresh its metadata. */
import { wireByteLength } from '../../wire/zkevm/limits.js';
import { refreshCollectionMetadataRequestSchema } from '../../wire/zkevm/schemas.js';
import type { ParsedRequest } from '../request.js';
import { readBody } from './body.js';
import type { RouteContext } from './context.js';
import { collectionToWire } from './nft-wire.js';
import { spendOne } from './refresh-routes.js';
import { fail, type RouteResult } from './responses.js';
import type { CollectionState } from './state.js';

/** `GET /v1/chains/{chain_name}/collections/{contract_address}`. */
export function getCollection(ctx: RouteContext, collection: CollectionState): RouteResult {
  return { status: 200, headers: {}, body: { result: collectionToWire(collection, ctx.chain) } };
}

/**
 * `POST …/collections/{contract_address}/refresh-metadata`. The body is the whole
 * `collection_metadata` (seven keys, each nullable); it takes effect `syncDelayMs` after the 200,
 * as a push does, moving the collection's `metadata_synced_at`. Under `collectionRefresh:
 * 'shared'` it spends one refresh request (a spent window is a 429, and the 200 carries the
 * rate-limit headers); under `separate` it spends nothing.
 */
export async function refreshCollection(
  ctx: RouteContext,
  req: ParsedRequest,
  collection: CollectionState,
): Promise<RouteResult> {
  const body = await readBody(
    req,
    refreshCollectionMetadataRequestSchema,
    '{ "collection_metadata": {...} }',
  );
  if (!('data' in body)) return body;
  const fields = body.data.collection_metadata;
  const bytes = wireByteLength(fields);
  if (bytes > ctx.collectionRules.maxBytes) {
    return fail(
      'VALIDATION_ERROR',
      `collection_metadata: must be at most ${ctx.collectionRules.maxBytes} bytes as JSON, got ${bytes}`,
      { field: 'collection_metadata' },
    );
  }
  const now = ctx.clock.now();
  let headers: Record<string, string> = {};
  if (ctx.collectionRules.budget === 'shared') {
    const spent = spendOne(ctx, now);
    if ('error' in spent) return spent;
    headers = spent.headers;
  }
  ctx.state.enqueue({
    kind: 'collection',
    address: collection.address,
    dueMs: now + ctx.syncDelayMs,
    fields,
  });
  return {
    status: 200,
    headers,
    body: {
      contract_address: collection.address,
      chain: { id: ctx.chain.id, name: ctx.chain.name },
      collection_metadata: { ...fields },
    },
  };
}
