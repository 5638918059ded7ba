/** The push retry rule as a pure function: nothing-sent failures always, uncertain ones once. */
import { describe, expect, it } from 'vitest';
import { pushRetryRule } from '../../src/client/retry.js';
import {
  BadRequestError,
  ConnectionError,
  InternalServerError,
  RateLimitError,
  RedirectError,
  ResponseTooLargeError,
  TimeoutError,
} from '../../src/index.js';

const refused = () => new ConnectionError('refused', { code: 'ECONNREFUSED', nothingSent: true });
const reset = () => new ConnectionError('reset', { code: 'ECONNRESET', nothingSent: false });
const api = (Class: typeof InternalServerError, status: number) =>
  new Class({ status, code: 'X', message: 'x', headers: {} });

describe('pushRetryRule', () => {
  it('retries failures that prove nothing was sent, every time', () => {
    const rule = pushRetryRule();
    expect([refused(), refused(), refused()].map(rule)).toEqual([true, true, true]);
  });

  it('retries one uncertain failure per call (timeout, reset, 5xx), however they mix', () => {
    for (const first of [new TimeoutError('t'), reset(), api(InternalServerError, 503)]) {
      const rule = pushRetryRule();
      expect(rule(first)).toBe(true);
      expect(rule(refused())).toBe(true);
      expect(rule(new TimeoutError('t'))).toBe(false);
      expect(rule(api(InternalServerError, 500))).toBe(false);
    }
  });

  it('never retries a 4xx, a 429, a redirect or a too-large body', () => {
    const rule = pushRetryRule();
    expect(rule(api(BadRequestError, 400))).toBe(false);
    expect(rule(api(RateLimitError, 429))).toBe(false);
    expect(rule(api(RedirectError, 307))).toBe(false);
    expect(rule(new ResponseTooLargeError('big', { maxResponseBytes: 1 }))).toBe(false);
    // None of them used up the one uncertain retry.
    expect(rule(new TimeoutError('t'))).toBe(true);
  });
});
