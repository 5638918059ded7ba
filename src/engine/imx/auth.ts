import { verifyImxSignature } from '../../auth/verify.js';
import type { ServiceResponse } from '../types.js';
import { apiError } from './responses.js';

/** The authenticated caller, or the 401/403 to answer. */
export type AuthResult = { ok: true } | { ok: false; response: ServiceResponse };

const HEADER_NAMES = ['x-imx-eth-address', 'x-imx-eth-signature', 'x-imx-eth-timestamp'] as const;

/**
 * Checks the project-owner headers: all three present, the signature recovers to the address, the
 * timestamp within `toleranceSeconds` of the clock (so an old signature cannot be replayed), and
 * the address is the owner when one is configured.
 */
export function authenticate(
  header: (name: string) => string | undefined,
  options: {
    owner: string | undefined;
    nowMs: number;
    toleranceSeconds: number;
    verify?: typeof verifyImxSignature | undefined;
  },
): AuthResult {
  const fail = (status: number, code: string, message: string): AuthResult => ({
    ok: false,
    response: apiError(status, code, message),
  });
  const missing = HEADER_NAMES.filter((name) => !header(name));
  if (missing.length > 0)
    return fail(401, 'unauthorised_request', `Missing header: ${missing.join(', ')}`);
  const address = header('x-imx-eth-address') as string;
  const signature = header('x-imx-eth-signature') as string;
  const timestamp = header('x-imx-eth-timestamp') as string;
  if (!/^\d{1,15}$/.test(timestamp)) {
    return fail(401, 'unauthorised_request', 'x-imx-eth-timestamp must be unix seconds');
  }
  const skew = Math.abs(Math.floor(options.nowMs / 1000) - Number(timestamp));
  if (skew > options.toleranceSeconds) {
    return fail(
      401,
      'unauthorised_request',
      `x-imx-eth-timestamp is ${skew} s from the server's clock (tolerance ${options.toleranceSeconds} s)`,
    );
  }
  if (!(options.verify ?? verifyImxSignature)({ address, timestamp, signature })) {
    return fail(
      401,
      'unauthorised_request',
      'x-imx-eth-signature does not match x-imx-eth-address',
    );
  }
  if (options.owner !== undefined && address.toLowerCase() !== options.owner.toLowerCase()) {
    return fail(403, 'forbidden', 'Only the project owner may manage metadata refreshes');
  }
  return { ok: true };
}

/**
 * `verifyImxSignature` with a memory of recent answers. Recovering a secp256k1 key costs
 * milliseconds, and a client reuses one signature for every request within a second, so a busy
 * server would otherwise spend most of its time recovering the same key. The answer for a given
 * (address, timestamp, signature) never changes; freshness is still checked on every request.
 */
export function cachedVerifier(
  size = 1024,
  verify: typeof verifyImxSignature = verifyImxSignature,
): typeof verifyImxSignature {
  const answers = new Map<string, boolean>();
  return (input) => {
    const key = `${input.address}\n${input.timestamp}\n${input.signature}`;
    const known = answers.get(key);
    if (known !== undefined) return known;
    const valid = verify(input);
    if (answers.size >= size) answers.delete(answers.keys().next().value as string);
    answers.set(key, valid);
    return valid;
  };
}
