/**
 * Zod schemas of every wire shape of the metadata refresh API, in the API's own snake_case.
 * Defined once and shared by the client (to validate responses), and by the reference engine
 * (to validate requests). Where the service description and the upstream OpenAPI schema differ,
 * the schemas accept both and normalise to the service description's form.
 */
import { z } from 'zod';
import { MAX_TOKENS_PER_REFRESH } from './limits.js';
import { LONE_SURROGATE } from './token-id.js';

/** `0x` followed by 40 hex characters, in any case. */
export const COLLECTION_ADDRESS_PATTERN = /^0x[0-9a-fA-F]{40}$/;

/** Every status a refresh passes through. */
export const REFRESH_STATUSES = ['queued', 'in_progress', 'completed'] as const;

/** The error codes the service documents for a failed token. */
export const REFRESH_ERROR_CODES = [
  'unable_to_retrieve_metadata',
  'invalid_response_status_code',
  'unable_to_decode_response',
  'token_not_found',
] as const;

/** Error body of every non-2xx response: `{ code, message, details? }`. */
export const apiErrorBodySchema = z.object({
  code: z.string(),
  message: z.string(),
  details: z
    .string()
    .nullish()
    .transform((v) => v ?? undefined),
});

const tokenIdsShape = z
  .array(
    z
      .string({ error: 'token_ids must hold strings' })
      .min(1, 'token_ids must not hold empty strings')
      .refine((id) => !LONE_SURROGATE.test(id), 'token_ids must hold well-formed Unicode strings')
      .refine((id) => id !== '.' && id !== '..', 'token_ids must not hold "." or ".."'),
    {
      error: 'token_ids is required and must be an array of strings',
    },
  )
  .min(1, 'token_ids must not be empty');

/**
 * Body of `POST /v1/metadata-refreshes` without the 1000-id cap: the reference service applies
 * its configurable `tokensPerRefresh` after collapsing duplicates.
 */
export const refreshRequestShapeSchema = z.object({
  collection_address: z
    .string({ error: 'collection_address is required and must be a string' })
    .regex(
      COLLECTION_ADDRESS_PATTERN,
      'collection_address must be 0x followed by 40 hex characters',
    ),
  token_ids: tokenIdsShape,
});

/** Body of `POST /v1/metadata-refreshes`: at most 1000 ids. */
export const createRefreshRequestSchema = refreshRequestShapeSchema.extend({
  token_ids: tokenIdsShape.max(
    MAX_TOKENS_PER_REFRESH,
    `token_ids must hold at most ${MAX_TOKENS_PER_REFRESH} ids`,
  ),
});

/** 202 body of `POST /v1/metadata-refreshes`. */
export const createRefreshResponseSchema = z.object({
  refresh_id: z.string().min(1),
});

/** A refresh's status. */
export const refreshStatusSchema = z.enum(REFRESH_STATUSES);

const count = z.number().int().nonnegative().default(0);
const summaryCountsSchema = z.object({ succeeded: count, failed: count, pending: count });

/** The summary: an object (service description) or a one-element array (upstream schema). */
export const refreshSummarySchema = z
  .union([summaryCountsSchema, z.array(summaryCountsSchema).length(1)])
  .transform((v) => (Array.isArray(v) ? (v[0] as z.output<typeof summaryCountsSchema>) : v));

const nullableString = z
  .string()
  .nullish()
  .transform((v) => v ?? null);

/** A refresh without its summary: one row of `GET /v1/metadata-refreshes`. */
export const refreshListItemWireSchema = z.object({
  refresh_id: z.string().min(1),
  status: refreshStatusSchema,
  collection_address: z.string(),
  started_at: z.string(),
  completed_at: nullableString,
});

/** 200 body of `GET /v1/metadata-refreshes/:refresh_id`. */
export const refreshWireSchema = refreshListItemWireSchema.extend({
  summary: refreshSummarySchema,
});

/** A status code as a number (service description), a numeric string (upstream), '' or null. */
export const clientResponseStatusCodeSchema = z
  .union([z.number().int(), z.string().regex(/^\s*\d*\s*$/), z.null()])
  .optional();

/** A status code in any accepted form as a number, or null when there was none. */
export function normalizeStatusCode(value: number | string | null | undefined): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'number') return value;
  return value.trim() === '' ? null : Number(value);
}

/**
 * One failed token as sent, validated but not rewritten. Its rows arrive by the hundred thousand,
 * so the client normalises them once while mapping to camelCase instead of in per-field zod
 * transforms (which cost about 2.5 times the allocation).
 */
export const refreshErrorRowSchema = z.object({
  token_id: z.string(),
  collection_address: z.string(),
  client_token_metadata_url: z.string(),
  client_response_status_code: clientResponseStatusCodeSchema,
  client_response_body: z.string().nullish(),
  error_code: z.string(),
  created_at: z.string(),
});

/** One failed token, normalised: the status code a number or null, the body a string or null. */
export const refreshErrorWireSchema = refreshErrorRowSchema.transform((row) => ({
  ...row,
  client_response_status_code: normalizeStatusCode(row.client_response_status_code),
  client_response_body: row.client_response_body ?? null,
}));

/** A cursor page of `item`s: `{ result, cursor, remaining }`. */
export function cursorPageSchema<T extends z.ZodType>(item: T) {
  return z.object({
    result: z.array(item),
    cursor: nullableString.transform((v) => v ?? ''),
    remaining: z.number().int().nonnegative(),
  });
}

/** 200 body of `GET /v1/metadata-refreshes/:refresh_id/errors`, rows validated as sent. */
export const refreshErrorsPageWireSchema = cursorPageSchema(refreshErrorRowSchema);
/** 200 body of `GET /v1/metadata-refreshes`. */
export const refreshListPageWireSchema = cursorPageSchema(refreshListItemWireSchema);

/** Body of `POST /v1/metadata-refreshes`, as sent. */
export type CreateRefreshRequestWire = z.input<typeof createRefreshRequestSchema>;
/** 202 body of `POST /v1/metadata-refreshes`. */
export type CreateRefreshResponseWire = z.input<typeof createRefreshResponseSchema>;
/** A refresh status: `queued`, `in_progress` or `completed`. */
export type RefreshStatus = (typeof REFRESH_STATUSES)[number];
/** A documented token error code. The API may add codes; the client passes them through. */
export type RefreshErrorCode = (typeof REFRESH_ERROR_CODES)[number];
/** A refresh as any server may send it (either upstream variant). */
export type RefreshWire = z.input<typeof refreshWireSchema>;
/** A refresh list row as any server may send it. */
export type RefreshListItemWire = z.input<typeof refreshListItemWireSchema>;
/** A refresh error row as any server may send it. */
export type RefreshErrorWire = z.input<typeof refreshErrorWireSchema>;
/** An error body. */
export type ApiErrorBodyWire = z.input<typeof apiErrorBodySchema>;
/** A cursor page as sent on the wire. */
export interface CursorPageWire<T> {
  result: T[];
  cursor: string;
  remaining: number;
}
