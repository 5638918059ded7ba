import { describe, expect, it } from 'vitest';
import { parseRetryAfter } from '../../src/index.js';
import {
  MAX_ITEM_BYTES,
  MAX_LIST_BYTES,
  MAX_UINT256,
  SECRET_API_KEY_PREFIX,
  uint256Problem,
  wireByteLength,
} from '../../src/wire/zkevm/limits.js';
import {
  formatGoTime,
  formatRetryAfterBody,
  formatRetryAfterHeader,
  parseZkEvmRateLimit,
  rateLimitFromResultBody,
} from '../../src/wire/zkevm/rate-limit.js';

describe('uint256Problem', () => {
  it.each(['0', '1', '42', MAX_UINT256.toString()])('accepts %s', (id) => {
    expect(uint256Problem(id)).toBeUndefined();
  });

  it.each([
    ['', 'must not be empty'],
    ['01', 'leading zeros'],
    ['-1', 'decimal digits'],
    ['+1', 'decimal digits'],
    ['1.0', 'decimal digits'],
    ['0x1', 'decimal digits'],
    [' 1', 'decimal digits'],
    ['١', 'decimal digits'],
    [(MAX_UINT256 + 1n).toString(), 'at most 2^256 - 1'],
    ['9'.repeat(79), 'decimal digits'],
  ])('refuses %j', (id, why) => {
    expect(uint256Problem(id)).toContain(why);
  });

  it('accepts 2^256 - 1 and refuses 2^256, computed here rather than read from limits.ts', () => {
    expect(uint256Problem((2n ** 256n - 1n).toString())).toBeUndefined();
    expect(uint256Problem((2n ** 256n).toString())).toBe('must be at most 2^256 - 1');
  });

  it.each(['9', '10', '19', '90', '100'])(
    'accepts %s (every digit, and zeros after the first)',
    (id) => {
      expect(uint256Problem(id)).toBeUndefined();
    },
  );

  it('refuses non-strings', () => {
    expect(uint256Problem(1)).toBe('must be a string');
    expect(uint256Problem(null)).toBe('must be a string');
  });
});

describe("the platform's limits and key format", () => {
  it('is 16 KiB an item and 228 KiB a list, as the README and the OpenAPI file say', () => {
    expect([MAX_ITEM_BYTES, MAX_LIST_BYTES]).toEqual([16_384, 233_472]);
  });

  it('knows a secret key issued by the Hub by its prefix', () => {
    expect(SECRET_API_KEY_PREFIX).toBe('sk_imapik-');
  });
});

describe('wireByteLength', () => {
  it('counts UTF-8 bytes of compact JSON', () => {
    expect(wireByteLength({ a: 'é' })).toBe('{"a":"é"}'.length + 1);
    expect(wireByteLength(['🦄'])).toBe(8);
    expect(wireByteLength(undefined)).toBe(0);
  });

  it('measures what JSON.stringify sends, so the limit is exact', () => {
    const padding = MAX_ITEM_BYTES - wireByteLength({ name: '' });
    expect(wireByteLength({ name: 'x'.repeat(padding) })).toBe(MAX_ITEM_BYTES);
  });
});

describe('reset and retry-after formats', () => {
  it("formats the reset in Go's default time format", () => {
    expect(formatGoTime(Date.parse('2024-04-16T11:06:07.401Z'))).toBe(
      '2024-04-16 11:06:07.401 +0000 UTC',
    );
    expect(formatGoTime(Date.parse('2024-04-16T11:06:07.400Z'))).toBe(
      '2024-04-16 11:06:07.4 +0000 UTC',
    );
    expect(formatGoTime(Date.parse('2024-01-02T03:04:05Z'))).toBe('2024-01-02 03:04:05 +0000 UTC');
  });

  it('formats retry-after as whole seconds up in the header and the sample form in the body', () => {
    expect(formatRetryAfterHeader(0)).toBe('0');
    expect(formatRetryAfterHeader(1)).toBe('1');
    expect(formatRetryAfterHeader(9_610)).toBe('10');
    expect(formatRetryAfterHeader(-5)).toBe('0');
    expect(formatRetryAfterBody(9_610)).toBe('9.61-seconds');
    expect(formatRetryAfterBody(0)).toBe('0.00-seconds');
  });

  it('parses every retry-after form seen', () => {
    const now = Date.parse('2024-04-16T11:00:00Z');
    expect(parseRetryAfter('10', now)).toBe(10_000);
    expect(parseRetryAfter('9.61-seconds', now)).toBe(9_610);
    expect(parseRetryAfter('9.61s', now)).toBe(9_610);
    expect(parseRetryAfter('Tue, 16 Apr 2024 11:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-1', now)).toBeUndefined();
  });

  it('reads the budget back from what the formatters write', () => {
    const now = Date.parse('2024-04-16T10:06:07.401Z');
    const reset = now + 3_600_000;
    const headers = {
      'Imx-Refreshes-Limit': '677',
      'imx-remaining-refreshes': '675',
      'imx-refresh-limit-reset': formatGoTime(reset),
      'Retry-After': formatRetryAfterHeader(9_610),
    };
    expect(parseZkEvmRateLimit(headers, now)).toEqual({
      limit: 677,
      remaining: 675,
      resetAt: new Date(reset),
      retryAfterMs: 10_000,
    });
    expect(
      rateLimitFromResultBody(
        {
          imx_refreshes_limit: '677',
          imx_remaining_refreshes: '675',
          imx_refresh_limit_reset: '2024-04-16 11:06:07.401553 +0000 UTC',
          retry_after: '9.61-seconds',
        },
        now,
      ),
    ).toEqual({
      limit: 677,
      remaining: 675,
      resetAt: new Date('2024-04-16T11:06:07.401Z'),
      retryAfterMs: 9_610,
    });
    expect(parseZkEvmRateLimit({ 'imx-refreshes-limit': '1' }, now)).toBeUndefined();
  });
});
