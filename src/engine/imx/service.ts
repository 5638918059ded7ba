/**
 * The reference metadata refresh service: the whole API behind one `handle` function, with the
 * platform's rules (auth, limits, paging, the worker's error codes). Knows nothing of HTTP
 * libraries: the node:http server and the msw mock are thin adapters over it.
 */

import { systemClock } from '../../clock.js';
import {
  DEFAULT_MAX_METADATA_BYTES,
  METADATA_API_ATTEMPTS,
  METADATA_API_TIMEOUT_MS,
} from '../../metadata-api/limits.js';
import { checkMetadataApiUrl, metadataUrl } from '../../metadata-api/url.js';
import {
  DEFAULT_PAGE_SIZE,
  MAX_PAGE_SIZE,
  MAX_TOKENS_PER_REFRESH,
  REFRESH_LIMIT_EXCEEDED,
  REFRESH_WINDOW_MS,
  REFRESHES_PER_WINDOW,
} from '../../wire/limits.js';
import { RATE_LIMIT_HEADERS } from '../../wire/rate-limit.js';
import {
  COLLECTION_ADDRESS_PATTERN,
  type CreateRefreshResponseWire,
  refreshRequestShapeSchema,
} from '../../wire/schemas.js';
import { tokenIdProblem } from '../../wire/token-id.js';
import { logServiceError } from '../log-error.js';
import {
  declaredLength,
  MAX_BODY_BYTES,
  type ParsedRequest,
  parseRequest,
  readBody,
} from '../request.js';
import type { ServiceErrorContext, ServiceRequest, ServiceResponse } from '../types.js';
import { authenticate, cachedVerifier } from './auth.js';
import { type BudgetState, RefreshBudget } from './budget.js';
import { apiError, json } from './responses.js';
import {
  InvalidCursorError,
  type PageQuery,
  type RefreshRecord,
  type RefreshRecordWire,
  RefreshStore,
  refreshToWire,
} from './store.js';
import type { CollectionConfig, RefreshSeed, RefreshServiceOptions, SeedError } from './types.js';
import { type TokenTask, Worker } from './worker.js';

export { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE };

/** The reference service returned by {@link createRefreshService}. */
export interface RefreshService {
  /** Answers one API request. Never throws; every error is a `{ code, message }` response. */
  handle(request: ServiceRequest): Promise<ServiceResponse>;
  /** Resolves when no token is queued or being fetched. */
  settled(): Promise<void>;
  /** A refresh in wire form, or undefined. */
  getRefresh(refreshId: string): RefreshRecordWire | undefined;
  /** The last metadata successfully fetched for a token, or undefined. */
  getTokenMetadata(
    collectionAddress: string,
    tokenId: string,
  ): { metadata: Record<string, unknown>; updatedAt: string } | undefined;
  /** Registers more existing tokens of a collection configured with `tokenIds` (e.g. after a mint). */
  addTokens(collectionAddress: string, tokenIds: string[]): void;
  /** Puts a refresh straight into the store (no worker) and returns its id. */
  seedRefresh(seed: RefreshSeed): string;
  /** Sets how many refresh requests are left in the current window. */
  setRemainingRefreshes(remaining: number): void;
  /** The rate-limit headers as the next refresh request would see them before spending. */
  rateLimitHeaders(): Record<string, string>;
  /**
   * Back to the state after construction: forgets every refresh, metadata, spending and token
   * added with `addTokens`; drops queued tokens and abandons those in flight (their fetches are
   * aborted and their outcomes never recorded), so `settled()` resolves at once.
   */
  reset(): void;
  /** Stops the worker: fetches in flight are aborted, queued tokens stay pending. */
  stop(): Promise<void>;
}

interface KnownCollection {
  address: string;
  metadataApiUrl: string;
  tokenIds: Set<string> | undefined;
  /** The tokens configured, which `reset()` goes back to (forgetting `addTokens`). */
  configuredTokenIds: readonly string[] | undefined;
}

function positiveInt(value: number | undefined, fallback: number, name: string): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < 1) throw new TypeError(`${name} must be a positive integer`);
  return v;
}

/** Throws a TypeError naming `label` when any of `ids` is not a usable token id. */
function checkTokenIds(ids: readonly unknown[], label: string): void {
  for (const id of ids) {
    const problem = tokenIdProblem(id);
    if (problem !== undefined) {
      throw new TypeError(`${label}: token id ${JSON.stringify(id)} ${problem}`);
    }
  }
}

function rateLimitHeaders(state: BudgetState): Record<string, string> {
  return {
    [RATE_LIMIT_HEADERS.limit]: String(state.limit),
    [RATE_LIMIT_HEADERS.remaining]: String(state.remaining),
    [RATE_LIMIT_HEADERS.reset]: String(state.resetSeconds),
  };
}

/** Creates the reference service. See {@link RefreshServiceOptions} for the defaults. */
export function createRefreshService(options: RefreshServiceOptions): RefreshService {
  if (typeof options?.fetchMetadata !== 'function') {
    throw new TypeError('createRefreshService needs a fetchMetadata function');
  }
  const clock = options.clock ?? systemClock;
  const generateId = options.generateId ?? (() => globalThis.crypto.randomUUID());
  const owner = options.owner?.toLowerCase();
  if (owner !== undefined && !COLLECTION_ADDRESS_PATTERN.test(owner)) {
    throw new TypeError('owner must be an address: 0x followed by 40 hex characters');
  }
  const tokensPerRefresh = positiveInt(
    options.limits?.tokensPerRefresh,
    MAX_TOKENS_PER_REFRESH,
    'limits.tokensPerRefresh',
  );
  const budget = new RefreshBudget(
    positiveInt(options.limits?.refreshesPerHour, REFRESHES_PER_WINDOW, 'limits.refreshesPerHour'),
    positiveInt(options.limits?.windowMs, REFRESH_WINDOW_MS, 'limits.windowMs'),
  );
  const toleranceSeconds = options.timestampToleranceSeconds ?? 300;
  const collections = options.collections
    ? new Map<string, KnownCollection>(
        options.collections.map((c: CollectionConfig) => {
          if (!COLLECTION_ADDRESS_PATTERN.test(c.address)) {
            throw new TypeError(
              `collection address ${c.address} must be 0x followed by 40 hex characters`,
            );
          }
          checkMetadataApiUrl(c.metadataApiUrl, `collection ${c.address}`);
          if (c.tokenIds) checkTokenIds(c.tokenIds, `collection ${c.address}`);
          return [
            c.address.toLowerCase(),
            {
              address: c.address,
              metadataApiUrl: c.metadataApiUrl,
              tokenIds: c.tokenIds ? new Set(c.tokenIds) : undefined,
              configuredTokenIds: c.tokenIds ? [...c.tokenIds] : undefined,
            },
          ];
        }),
      )
    : undefined;
  const store = new RefreshStore();
  const verify = cachedVerifier();
  const onError = options.onError ?? logServiceError;
  const report = (error: unknown, context: ServiceErrorContext) => {
    try {
      onError(error, context);
    } catch {
      // A throwing onError must not turn a 500 into a crash.
    }
  };

  const worker = new Worker({
    concurrency: positiveInt(options.concurrency, 16, 'concurrency'),
    attempts: positiveInt(options.fetchAttempts, METADATA_API_ATTEMPTS, 'fetchAttempts'),
    timeoutMs: positiveInt(options.fetchTimeoutMs, METADATA_API_TIMEOUT_MS, 'fetchTimeoutMs'),
    maxBytes: positiveInt(options.maxMetadataBytes, DEFAULT_MAX_METADATA_BYTES, 'maxMetadataBytes'),
    fetchMetadata: options.fetchMetadata,
    onError: (error) => report(error, { source: 'worker' }),
    onOutcome: (task, outcome) => {
      const record = store.get(task.refreshId);
      if (!record) return;
      const now = clock.now();
      if (outcome.ok) {
        record.succeeded++;
        store.setMetadata(task.collectionAddress, task.tokenId, {
          metadata: outcome.metadata,
          updatedAtMs: now,
        });
      } else {
        record.failed++;
        const http = 'statusCode' in outcome ? outcome : { statusCode: null, body: null };
        store.addError(record, {
          token_id: task.tokenId,
          collection_address: task.collectionAddress,
          client_token_metadata_url: task.url,
          client_response_status_code: http.statusCode,
          client_response_body: http.body,
          error_code: outcome.errorCode,
          created_at: new Date(now).toISOString(),
        });
      }
      if (record.succeeded + record.failed === record.tokenIds.length) record.completedAtMs = now;
    },
  });

  function findCollection(address: string): KnownCollection | undefined {
    if (!collections) {
      return {
        address,
        metadataApiUrl: `https://metadata.invalid/${address}`,
        tokenIds: undefined,
        configuredTokenIds: undefined,
      };
    }
    return collections.get(address.toLowerCase());
  }

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

  function paged(run: () => ServiceResponse): ServiceResponse {
    try {
      return run();
    } catch (error) {
      if (error instanceof InvalidCursorError)
        return apiError(400, 'bad_request', 'cursor is invalid');
      throw error;
    }
  }

  async function requestRefresh(req: ParsedRequest): Promise<ServiceResponse> {
    const read = await readBody(req);
    if ('tooLarge' in read) return payloadTooLarge();
    if ('unreadable' in read) {
      return apiError(400, 'bad_request', 'The request body could not be read');
    }
    const bodyText = read.text;
    if (bodyText === undefined) {
      return apiError(
        400,
        'bad_request',
        'The body must be JSON: { collection_address, token_ids }',
      );
    }
    let body: unknown;
    try {
      body = JSON.parse(bodyText);
    } catch {
      return apiError(400, 'bad_request', 'The body is not valid JSON');
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return apiError(
        400,
        'bad_request',
        'The body must be a JSON object: { collection_address, token_ids }',
      );
    }
    const parsed = refreshRequestShapeSchema.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return apiError(400, 'bad_request', issue?.message ?? 'The body is invalid');
    }
    const tokenIds = [...new Set(parsed.data.token_ids)];
    if (tokenIds.length > tokensPerRefresh) {
      return apiError(400, 'bad_request', `token_ids must hold at most ${tokensPerRefresh} ids`);
    }
    const collection = findCollection(parsed.data.collection_address);
    if (!collection) {
      return apiError(404, 'not_found', `Collection ${parsed.data.collection_address} not found`);
    }
    // Everything that can fail is done before the budget is spent and the refresh stored.
    const id = generateId();
    const tasks: TokenTask[] = tokenIds.map((tokenId) => ({
      refreshId: id,
      collectionAddress: collection.address,
      tokenId,
      url: metadataUrl(collection.metadataApiUrl, tokenId),
      exists: !collection.tokenIds || collection.tokenIds.has(tokenId),
    }));
    // Check-and-spend is synchronous: no await between here and the store, so 50 requests at
    // once can never get more than the budget.
    const now = clock.now();
    const taken = budget.take(now);
    const headers = rateLimitHeaders(taken.state);
    if (!taken.accepted) {
      return apiError(429, REFRESH_LIMIT_EXCEEDED.code, REFRESH_LIMIT_EXCEEDED.message, headers);
    }
    store.add({
      id,
      collectionAddress: collection.address,
      startedAtMs: now,
      completedAtMs: null,
      tokenIds,
      succeeded: 0,
      failed: 0,
      errors: [],
    });
    worker.enqueue(tasks);
    const responseBody: CreateRefreshResponseWire = { refresh_id: id };
    return json(202, responseBody, headers);
  }

  function payloadTooLarge(): ServiceResponse {
    return apiError(413, 'payload_too_large', `The body must be at most ${MAX_BODY_BYTES} bytes`);
  }

  /**
   * Routes a request. Auth is decided from headers alone, before any body is read: a caller that
   * cannot be served costs the adapter no buffered body. Then a declared length over the limit is
   * refused without reading; only an authenticated POST reads its body.
   */
  async function route(req: ParsedRequest): Promise<ServiceResponse> {
    const [v1, resource, id, sub, ...rest] = req.segments;
    if (
      v1 === 'v1' &&
      resource === 'assets' &&
      id !== undefined &&
      sub !== undefined &&
      rest.length === 0
    ) {
      if (req.method !== 'GET') return methodNotAllowed(['GET']);
      const problem = tokenIdProblem(sub);
      if (problem !== undefined) return apiError(400, 'bad_request', `The token id ${problem}`);
      const found = store.getMetadata(id, sub);
      if (!found) return apiError(404, 'not_found', `Asset ${id}/${sub} has no refreshed metadata`);
      return json(200, {
        token_address: id.toLowerCase(),
        token_id: sub,
        metadata: found.metadata,
        updated_at: new Date(found.updatedAtMs).toISOString(),
      });
    }
    if (v1 !== 'v1' || resource !== 'metadata-refreshes' || rest.length > 0) {
      return apiError(404, 'not_found', 'No such route');
    }
    if (sub !== undefined && sub !== 'errors') return apiError(404, 'not_found', 'No such route');
    const allowed = id === undefined ? ['GET', 'POST'] : ['GET'];
    if (!allowed.includes(req.method)) return methodNotAllowed(allowed);

    const auth = authenticate(req.header, { owner, nowMs: clock.now(), toleranceSeconds, verify });
    // Past this point the caller is the project owner (without a configured owner, every
    // correctly signed caller is): one service is one project, and every refresh is theirs.
    if (!auth.ok) return auth.response;
    if ((declaredLength(req) ?? 0) > MAX_BODY_BYTES) return payloadTooLarge();

    if (id === undefined && req.method === 'POST') return requestRefresh(req);
    const page = pageQuery(req);
    if ('status' in page) return page;
    if (id === undefined) {
      const filter = req.query.get('collection_address');
      if (filter !== null && filter !== '' && !COLLECTION_ADDRESS_PATTERN.test(filter)) {
        return apiError(
          400,
          'bad_request',
          'collection_address must be 0x followed by 40 hex characters',
        );
      }
      return paged(() => json(200, store.refreshesPage(filter || undefined, page)));
    }
    const record = store.get(id);
    if (!record) return apiError(404, 'not_found', `Refresh ${id} not found`);
    if (sub === 'errors') return paged(() => json(200, store.errorsPage(record, page)));
    return json(200, refreshToWire(record));
  }

  function methodNotAllowed(allowed: string[]): ServiceResponse {
    return apiError(405, 'method_not_allowed', `Use ${allowed.join(' or ')}`, {
      allow: allowed.join(', '),
    });
  }

  return {
    async handle(request) {
      let req: ParsedRequest | undefined;
      try {
        req = parseRequest(request);
        if (!req) return apiError(400, 'bad_request', 'The path is not valid percent-encoding');
        return await route(req);
      } catch (error) {
        // A bug, not an input: tell onError, and answer like the platform would rather than
        // crash the process.
        report(error, { source: 'request', method: req?.method, path: req?.pathname });
        return apiError(500, 'internal_server_error', 'Internal server error');
      }
    },
    settled: () => worker.idle(),
    getRefresh(refreshId) {
      const record = store.get(refreshId);
      return record ? refreshToWire(record) : undefined;
    },
    getTokenMetadata(collectionAddress, tokenId) {
      const found = store.getMetadata(collectionAddress, tokenId);
      return found
        ? { metadata: found.metadata, updatedAt: new Date(found.updatedAtMs).toISOString() }
        : undefined;
    },
    addTokens(collectionAddress, tokenIds) {
      const collection = collections?.get(collectionAddress.toLowerCase());
      if (!collection) throw new TypeError(`Collection ${collectionAddress} is not configured`);
      if (!Array.isArray(tokenIds)) throw new TypeError('addTokens: tokenIds must be an array');
      checkTokenIds(tokenIds, 'addTokens');
      if (!collection.tokenIds) return;
      for (const id of tokenIds) collection.tokenIds.add(id);
    },
    seedRefresh(seed) {
      const collectionAddress = seed?.collectionAddress;
      if (
        typeof collectionAddress !== 'string' ||
        !COLLECTION_ADDRESS_PATTERN.test(collectionAddress)
      ) {
        throw new TypeError(
          'seedRefresh: collectionAddress must be 0x followed by 40 hex characters',
        );
      }
      const ids = (v: string[] | number | undefined, prefix: string) =>
        typeof v === 'number'
          ? Array.from({ length: v }, (_, i) => `${prefix}${i + 1}`)
          : (v ?? []);
      const failed: SeedError[] =
        typeof seed.failed === 'number'
          ? ids(seed.failed, 'f').map((tokenId) => ({ tokenId }))
          : (seed.failed ?? []);
      const succeeded = ids(seed.succeeded, 's');
      const pending = ids(seed.pending, 'p');
      const startedAtMs = seed.startedAt?.getTime() ?? clock.now();
      const record: RefreshRecord = {
        id: seed.refreshId ?? generateId(),
        collectionAddress,
        startedAtMs,
        completedAtMs: pending.length === 0 ? startedAtMs : null,
        tokenIds: [...succeeded, ...failed.map((f) => f.tokenId), ...pending],
        succeeded: succeeded.length,
        failed: failed.length,
        errors: [],
      };
      checkTokenIds(record.tokenIds, 'seedRefresh');
      if (record.tokenIds.length === 0) throw new TypeError('seedRefresh: give at least one token');
      if (new Set(record.tokenIds).size !== record.tokenIds.length) {
        throw new TypeError('seedRefresh: a token id appears twice');
      }
      if (store.get(record.id)) throw new TypeError(`seedRefresh: refresh ${record.id} exists`);
      const base =
        findCollection(collectionAddress)?.metadataApiUrl ??
        `https://metadata.invalid/${collectionAddress}`;
      store.add(record);
      store.addErrors(
        record,
        failed.map((f) => {
          const errorCode = f.errorCode ?? 'invalid_response_status_code';
          const statusCode =
            f.statusCode !== undefined
              ? f.statusCode
              : errorCode === 'invalid_response_status_code'
                ? 404
                : null;
          return {
            token_id: f.tokenId,
            collection_address: collectionAddress,
            client_token_metadata_url: metadataUrl(base, f.tokenId),
            client_response_status_code: statusCode,
            client_response_body:
              f.body !== undefined ? f.body : statusCode === 404 ? '404 page not found\n' : null,
            error_code: errorCode,
            created_at: new Date(f.createdAt?.getTime() ?? startedAtMs).toISOString(),
          };
        }),
      );
      return record.id;
    },
    setRemainingRefreshes(remaining) {
      if (!Number.isSafeInteger(remaining) || remaining < 0) {
        throw new TypeError('remaining must be a non-negative integer');
      }
      budget.setRemaining(remaining, clock.now());
    },
    rateLimitHeaders: () => rateLimitHeaders(budget.peek(clock.now())),
    reset() {
      worker.abandon();
      store.clear();
      budget.reset();
      for (const collection of collections?.values() ?? []) {
        collection.tokenIds =
          collection.configuredTokenIds && new Set(collection.configuredTokenIds);
      }
    },
    stop: () => worker.stop(),
  };
}
