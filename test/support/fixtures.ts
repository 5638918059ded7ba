/** Wire fixtures in both upstream variants, and a deterministic clock, shared by the client tests. */
import { SigningKey } from 'ethers/crypto';
import { computeAddress } from 'ethers/transaction';
import type { Clock } from '../../src/index.js';
import { AbortError } from '../../src/index.js';

export const BASE_URL = 'https://imx.test';
export const PRIVATE_KEY = `0x${'11'.repeat(32)}`;
export const OWNER = computeAddress(new SigningKey(PRIVATE_KEY));
export const COLLECTION = '0x9a48b1b27743d807331d06ecf0bfb15c06fdb58d';
export const REFRESH_ID = '21566bcb-4263-48bb-a495-602ba9a12f2c';

/** The service description's form: summary object, numeric status code, unix-seconds reset. */
export type Variant = 'service' | 'upstream';

export function refreshWire(
  variant: Variant,
  overrides: {
    status?: 'queued' | 'in_progress' | 'completed';
    summary?: { succeeded: number; failed: number; pending: number };
    refreshId?: string;
  } = {},
) {
  const summary = overrides.summary ?? { succeeded: 2, failed: 0, pending: 0 };
  const status = overrides.status ?? 'completed';
  return {
    refresh_id: overrides.refreshId ?? REFRESH_ID,
    status,
    collection_address: COLLECTION,
    started_at: '2022-08-31T01:59:59.806449Z',
    completed_at: status === 'completed' ? '2022-08-31T02:00:09.786143Z' : null,
    summary: variant === 'service' ? summary : [summary],
  };
}

export function refreshErrorWire(
  variant: Variant,
  tokenId: string,
  statusCode: number | null = 404,
) {
  return {
    token_id: tokenId,
    collection_address: COLLECTION,
    client_token_metadata_url: `https://metadata-api.io/${tokenId}`,
    client_response_status_code:
      statusCode === null ? null : variant === 'service' ? statusCode : String(statusCode),
    client_response_body: statusCode === null ? null : '404 page not found\n',
    error_code:
      statusCode === null ? 'unable_to_retrieve_metadata' : 'invalid_response_status_code',
    created_at: '2022-09-06T02:14:04.935946Z',
  };
}

export function refreshListItemWire(refreshId: string) {
  const { summary: _summary, ...rest } = refreshWire('service', { refreshId });
  return rest;
}

/** The three rate-limit headers, with the reset as unix seconds (service) or a date (upstream). */
export function rateLimitHeaders(
  variant: Variant,
  remaining: number,
  resetAt = new Date('2022-09-06T03:00:00Z'),
): Record<string, string> {
  return {
    'x-imx-refreshes-limit': '10',
    'x-imx-remaining-refreshes': String(remaining),
    'x-imx-refresh-limit-reset':
      variant === 'service' ? String(resetAt.getTime() / 1000) : resetAt.toISOString(),
  };
}

/**
 * An ISO 8601 time as the CLI prints it with `TZ=Asia/Tokyo` (`localTime`): Tokyo has no
 * daylight saving, so it is UTC + 9 h whatever the date.
 */
export function inTokyo(iso: string): string {
  const tokyo = new Date(Date.parse(iso) + 9 * 3_600_000).toISOString();
  return `${tokyo.slice(0, 10)} ${tokyo.slice(11, 19)} (Asia/Tokyo)`;
}

/** A clock whose `sleep` returns at once and moves time forward, recording every wait. */
export interface TestClock extends Clock {
  sleeps: number[];
  set(ms: number): void;
}

export function createTestClock(start = Date.parse('2022-09-06T02:30:00Z')): TestClock {
  let now = start;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    set: (ms) => {
      now = ms;
    },
    sleep: async (ms, signal) => {
      if (signal?.aborted) throw new AbortError('aborted', { cause: signal.reason });
      sleeps.push(ms);
      now += ms;
    },
  };
}
