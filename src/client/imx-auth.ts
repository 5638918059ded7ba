/** Immutable X's auth for the transport: the signed `x-imx-eth-*` headers, one signature a second. */
import { type ImxAuthHeaders, signAuthHeaders, unixSeconds } from '../auth/headers.js';
import type { NormalizedSigner } from '../auth/signer.js';
import type { Clock } from '../clock.js';
import { MetadataRefreshError, SignerError, scrubCause } from '../errors.js';

/**
 * An auth-headers provider that signs the current second. ECDSA (RFC 6979) signatures are
 * deterministic, so one signature serves every request within the same second; each attempt
 * still carries the current timestamp. A failed signature is not cached.
 */
export function imxAuthProvider(
  signer: NormalizedSigner,
  clock: Clock,
): () => Promise<ImxAuthHeaders> {
  let cached: { timestamp: string; headers: Promise<ImxAuthHeaders> } | undefined;
  return () => {
    const timestamp = String(unixSeconds(clock.now()));
    if (cached?.timestamp !== timestamp) {
      const headers = signAuthHeaders(signer, timestamp).catch((cause: unknown) => {
        if (cause instanceof MetadataRefreshError) throw cause;
        throw new SignerError('The signer failed to sign the request', {
          cause: scrubCause(cause),
        });
      });
      cached = { timestamp, headers };
      // A failed signature must not be cached for the rest of the second.
      headers.catch(() => {
        if (cached?.headers === headers) cached = undefined;
      });
    }
    return cached.headers;
  };
}
