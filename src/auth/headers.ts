import { InvalidRequestError } from '../errors.js';
import { type ImxSigner, type NormalizedSigner, normalizeSigner } from './signer.js';

/** The three project-owner authentication headers (a plain object: spread it into any headers). */
export type ImxAuthHeaders = {
  /** The signer's address. */
  'x-imx-eth-address': string;
  /** EIP-191 signature of the timestamp string, v as `00`/`01`. */
  'x-imx-eth-signature': string;
  /** Unix seconds, as a decimal string. */
  'x-imx-eth-timestamp': string;
};

/** The current unix time in whole seconds. */
export function unixSeconds(nowMs: number = Date.now()): number {
  return Math.floor(nowMs / 1000);
}

/** Signs `timestamp` with an already-normalised signer and returns the three headers. */
export async function signAuthHeaders(
  signer: NormalizedSigner,
  timestamp: string,
): Promise<ImxAuthHeaders> {
  const [address, signature] = await Promise.all([
    signer.getAddress(),
    signer.signMessage(timestamp),
  ]);
  return {
    'x-imx-eth-address': address,
    'x-imx-eth-signature': signature,
    'x-imx-eth-timestamp': timestamp,
  };
}

/** Options of {@link imxAuthHeaders}. */
export interface ImxAuthHeadersOptions {
  /** Whole unix seconds to sign, as a number or decimal string; default now. */
  timestamp?: number | string | undefined;
}

/**
 * Builds the `x-imx-eth-*` headers for callers with their own HTTP stack: the signer's address,
 * the timestamp (unix seconds as a decimal string; default now) and the EIP-191 signature of that
 * timestamp string with v as `00`/`01`.
 *
 * @example
 * ```ts
 * const headers = await imxAuthHeaders(wallet);
 * await fetch(url, { headers: { ...headers } });
 * ```
 * @throws {InvalidRequestError} an unsupported signer, a malformed private key, or a timestamp
 * that is not whole unix seconds.
 * @throws whatever the signer's own `signMessage` throws (a hardware wallet refusing, say).
 */
export async function imxAuthHeaders(
  signer: ImxSigner,
  options: ImxAuthHeadersOptions = {},
): Promise<ImxAuthHeaders> {
  const timestamp = options.timestamp ?? unixSeconds();
  // Whole unix seconds: a millisecond value (Date.now()) would be refused by the API as stale.
  if (!/^\d{1,11}$/.test(String(timestamp))) {
    throw new InvalidRequestError(
      `timestamp must be whole unix seconds (e.g. Math.floor(Date.now() / 1000)), got ${String(timestamp)}`,
    );
  }
  return signAuthHeaders(normalizeSigner(signer), String(timestamp));
}
