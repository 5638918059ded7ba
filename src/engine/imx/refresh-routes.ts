/**
 * The metadata refresh routes: request a refresh (validate, spend the budget, queue the tokens),
 * list refreshes, read one, page through its failed tokens. Each runs after the router's auth.
 */
import { metadataUrl } from '../../metadata-api/url.js';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, REFRESH_LIMIT_EXCEEDED } from '../../wire/limits.js';
import {
  COLLECTION_ADDRESS_PATTERN,
  type CreateRefreshResponseWire,
  refreshRequestShapeSchema,
} from '../../wire/schemas.js';
import { type JsonBodyProblem, readJsonObject } from '../json-body.js';
import type { ParsedRequest } from '../request.js';
import type { ServiceResponse } from '../types.js';
import { rateLimitHeaders } from './budget.js';
import type { RouteContext } from './context.js';
import { apiError, json, payloadTooLarge } from './responses.js';
import { InvalidCursorError, type PageQuery, refreshToWire } from './store.js';
import type { TokenTask } from './worker.js';

/** `page_size` and `cursor` of a page request, or the 400. */
function pageQuery(req: ParsedRequest): PageQuery | ServiceResponse {
  const rawSize = req.query.get('page_size');
  let pageSize = DEFAULT_PAGE_SIZE;
  if (rawSize !== null) {
    if (!/^\d{1,7}$/.test(rawSize) || Number(rawSize) < 1 || Number(rawSize) > MAX_PAGE_SIZE) {
      return apiError(
        400,
        'bad_request',
        `page_size must be an integer from 1 to ${MAX_PAGE_SIZE}`,
      );
    }
    pageSize = Number(rawSize);
  }
  const cursor = req.query.get('cursor');
  return { pageSize, cursor: cursor === null || cursor === '' ? undefined : cursor };
}

/** A page, or the 400 when its cursor is not one the store made. */
function paged(run: () => ServiceResponse): ServiceResponse {
  try {
    return run();
  } catch (error) {
    if (error instanceof InvalidCursorError)
      return apiError(400, 'bad_request', 'cursor is invalid');
    throw error;
  }
}

/** The 400 message of each body problem (a body too large is a 413). */
const BODY_PROBLEMS: Record<Exclude<JsonBodyProblem, 'tooLarge'>, string> = {
  unreadable: 'The request body could not be read',
  missing: 'The body must be JSON: { collection_address, token_ids }',
  notJson: 'The body is not valid JSON',
  notObject: 'The body must be a JSON object: { collection_address, token_ids }',
};

/** `POST /v1/metadata-refreshes`. */
export async function requestRefresh(
  ctx: RouteContext,
  req: ParsedRequest,
): Promise<ServiceResponse> {
  const body = await readJsonObject(req);
  if ('problem' in body) {
    if (body.problem === 'tooLarge') return payloadTooLarge();
    return apiError(400, 'bad_request', BODY_PROBLEMS[body.problem]);
  }
  const parsed = refreshRequestShapeSchema.safeParse(body.value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return apiError(400, 'bad_request', issue?.message ?? 'The body is invalid');
  }
  const tokenIds = [...new Set(parsed.data.token_ids)];
  if (tokenIds.length > ctx.tokensPerRefresh) {
    return apiError(400, 'bad_request', `token_ids must hold at most ${ctx.tokensPerRefresh} ids`);
  }
  const collection = ctx.state.collection(parsed.data.collection_address);
  if (!collection) {
    return apiError(404, 'not_found', `Collection ${parsed.data.collection_address} not found`);
  }
  // Everything that can fail is done before the budget is spent and the refresh stored.
  const id = ctx.generateId();
  const tasks: TokenTask[] = tokenIds.map((tokenId) => ({
    refreshId: id,
    collectionAddress: collection.address,
    tokenId,
    url: metadataUrl(collection.metadataApiUrl, tokenId),
    exists: !collection.tokenIds || collection.tokenIds.has(tokenId),
  }));
  // Check-and-spend is synchronous: no await between here and the store, so 50 requests at
  // once can never get more than the budget.
  const now = ctx.clock.now();
  const taken = ctx.budget.take(now);
  const headers = rateLimitHeaders(taken.state);
  if (!taken.accepted) {
    return apiError(429, REFRESH_LIMIT_EXCEEDED.code, REFRESH_LIMIT_EXCEEDED.message, headers);
  }
  ctx.state.store.add({
    id,
    collectionAddress: collection.address,
    startedAtMs: now,
    completedAtMs: null,
    tokenIds,
    succeeded: 0,
    failed: 0,
    errors: [],
  });
  ctx.worker.enqueue(tasks);
  const responseBody: CreateRefreshResponseWire = { refresh_id: id };
  return json(202, responseBody, headers);
}

/** `GET /v1/metadata-refreshes`: the project's refreshes, newest first. */
export function listRefreshes(ctx: RouteContext, req: ParsedRequest): ServiceResponse {
  const page = pageQuery(req);
  if ('status' in page) return page;
  const filter = req.query.get('collection_address');
  if (filter !== null && filter !== '' && !COLLECTION_ADDRESS_PATTERN.test(filter)) {
    return apiError(
      400,
      'bad_request',
      'collection_address must be 0x followed by 40 hex characters',
    );
  }
  return paged(() => json(200, ctx.state.store.refreshesPage(filter || undefined, page)));
}

/** `GET /v1/metadata-refreshes/{id}` and `GET /v1/metadata-refreshes/{id}/errors`. */
export function getRefresh(
  ctx: RouteContext,
  req: ParsedRequest,
  id: string,
  errors: boolean,
): ServiceResponse {
  // Every GET checks its page query first, even a single refresh's: a bad one is a 400 before
  // any lookup.
  const page = pageQuery(req);
  if ('status' in page) return page;
  const record = ctx.state.store.get(id);
  if (!record) return apiError(404, 'not_found', `Refresh ${id} not found`);
  if (errors) return paged(() => json(200, ctx.state.store.errorsPage(record, page)));
  return json(200, refreshToWire(record));
}
