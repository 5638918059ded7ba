/** How the zkEVM API speaks, for the transport: its error body and its budget's several forms. */
import type { ResponseHeaders } from '../errors.js';
import { readHeader } from '../wire/headers.js';
import { MAX_RESET_AHEAD_MS } from '../wire/rate-limit-forms.js';
import { ZKEVM_RATE_LIMIT_HEADERS } from '../wire/zkevm/limits.js';
import {
  parseRetryAfter,
  parseZkEvmRateLimit,
  rateLimitFromResultBody,
  type ZkEvmRateLimit,
} from '../wire/zkevm/rate-limit.js';
import { rateLimitResultSchema, zkEvmErrorBodySchema } from '../wire/zkevm/schemas.js';
import type { ApiDialect } from './transport.js';

/** `retry-after-ms` if a proxy sent one, else `retry-after` in any form the platform uses. */
function retryAfterMs(headers: ResponseHeaders, nowMs: number): number | undefined {
  const ms = readHeader(headers, 'retry-after-ms');
  if (ms !== undefined && /^\s*\d+(\.\d+)?\s*$/.test(ms)) return Number(ms);
  const after = readHeader(headers, ZKEVM_RATE_LIMIT_HEADERS.retryAfter);
  return after === undefined ? undefined : parseRetryAfter(after, nowMs);
}

/**
 * The budget of a refresh answer: the four headers, or, when they are absent or unreadable, the
 * 202 body's string copies. A reset further ahead than {@link MAX_RESET_AHEAD_MS} is not believed
 * (the window is one hour): it would hold a sender back for ever.
 */
function readZkEvmRateLimit(
  headers: ResponseHeaders,
  body: unknown,
  nowMs: number,
): ZkEvmRateLimit | undefined {
  let rateLimit = parseZkEvmRateLimit(headers, nowMs);
  if (!rateLimit) {
    const copy = rateLimitResultSchema.safeParse(body);
    if (copy.success) rateLimit = rateLimitFromResultBody(copy.data, nowMs);
  }
  if (!rateLimit || rateLimit.resetAt.getTime() - nowMs > MAX_RESET_AHEAD_MS) return undefined;
  if (rateLimit.retryAfterMs === undefined) {
    // A 429 may carry Retry-After in a form the zkEVM parser leaves to the generic one.
    const wait = retryAfterMs(headers, nowMs);
    if (wait !== undefined) rateLimit = { ...rateLimit, retryAfterMs: wait };
  }
  return rateLimit;
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
  readRetryAfterMs: retryAfterMs,
};
