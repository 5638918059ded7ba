/** How the zkEVM API speaks, for the transport: its error body and its budget's several forms. */
import type { ResponseHeaders } from '../errors.js';
import { readRetryAfterMs } from '../wire/rate-limit-forms.js';
import {
  parseZkEvmRateLimit,
  rateLimitFromResultBody,
  type ZkEvmRateLimit,
} from '../wire/zkevm/rate-limit.js';
import { rateLimitResultSchema, zkEvmErrorBodySchema } from '../wire/zkevm/schemas.js';
import type { ApiDialect } from './transport.js';

/**
 * The budget of a refresh answer: the four headers, or, when they are absent or not believable,
 * the 202 body's string copies (the parsers drop a reset too far ahead: it would hold a sender
 * back for ever). A body copy's wait, when unreadable, is the headers' `retry-after`.
 */
function readZkEvmRateLimit(
  headers: ResponseHeaders,
  body: unknown,
  nowMs: number,
): ZkEvmRateLimit | undefined {
  const fromHeaders = parseZkEvmRateLimit(headers, nowMs);
  if (fromHeaders) return fromHeaders;
  const copy = rateLimitResultSchema.safeParse(body);
  const fromBody = copy.success ? rateLimitFromResultBody(copy.data, nowMs) : undefined;
  if (!fromBody || fromBody.retryAfterMs !== undefined) return fromBody;
  return { ...fromBody, retryAfterMs: readRetryAfterMs(headers, nowMs) };
}

/** zkEVM: `{ message, link, trace_id, code, details }` bodies and the `imx-…` budget headers. */
export const zkEvmDialect: ApiDialect<ZkEvmRateLimit> = {
  readErrorBody: (body) => {
    const parsed = zkEvmErrorBodySchema.safeParse(body);
    if (parsed.success) {
      const { code, message, trace_id, link } = parsed.data;
      return { code, message, traceId: trace_id, link };
    }
    // A gateway's body may lack link or trace_id: keep what it has.
    const b = body as Record<string, unknown> | null;
    if (typeof b?.code !== 'string' || typeof b.message !== 'string') return undefined;
    const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
    return { code: b.code, message: b.message, traceId: text(b.trace_id), link: text(b.link) };
  },
  readRateLimit: readZkEvmRateLimit,
  readRetryAfterMs,
};
