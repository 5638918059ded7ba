/**
 * The Immutable X refresh API's rules and limits, in one place for the client, the scheduler,
 * the reference engine and the CLI (the zkEVM's are in `zkevm/limits.ts`).
 */

/** The Immutable X API's base URL per environment. */
export const IMX_BASE_URLS = {
  production: 'https://api.x.immutable.com',
  sandbox: 'https://api.sandbox.x.immutable.com',
} as const;

/** Most tokens one refresh request may name. */
export const MAX_TOKENS_PER_REFRESH = 1000;

/** Refresh requests a project may make per window (the service description: 10 an hour). */
export const REFRESHES_PER_WINDOW = 10;

/** The budget's window: one clock hour. */
export const REFRESH_WINDOW_MS = 3_600_000;

/** Page size when none is asked for. */
export const DEFAULT_PAGE_SIZE = 100;

/** Largest page the API serves. */
export const MAX_PAGE_SIZE = 1000;

/**
 * How a refresh is polled while it runs: the first wait, the growth per unchanged poll, the
 * longest wait; and, once the rate of progress says it is about to complete, the shortest wait
 * and a gentler growth (a poll then notices completion at most a quarter of the wait late).
 * A 48-hour refresh polled at 60 s costs a few thousand GETs, not a budget unit.
 */
export const REFRESH_POLL = {
  initialMs: 5_000,
  factor: 1.5,
  maxMs: 60_000,
  minMs: 500,
  nearFactor: 1.25,
} as const;

/** An `x-imx-eth-signature`: `0x` and 65 bytes (r, s, v) in hex. */
export const SIGNATURE_PATTERN = /^0x[0-9a-fA-F]{130}$/;

/** The 429 body the service documents when the hourly budget is spent. */
export const REFRESH_LIMIT_EXCEEDED = {
  code: 'refresh_limit_exceeded',
  message: 'Refresh limit exceeded',
} as const;
