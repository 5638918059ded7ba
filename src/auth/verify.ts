import { SIGNATURE_PATTERN } from '../wire/limits.js';
import { recoverPersonalMessageSigner } from './secp256k1.js';

/** What {@link verifyImxSignature} checks. */
export interface VerifyImxSignatureParameters {
  /** The claimed signer (`x-imx-eth-address`). */
  address: string;
  /** The signed message (`x-imx-eth-timestamp`). */
  timestamp: string;
  /** The signature (`x-imx-eth-signature`), with v as `00`/`01` or `1b`/`1c`. */
  signature: string;
}

/**
 * True when `signature` is the EIP-191 signature of `timestamp` by `address`. Addresses compare
 * case-insensitively; both v forms are accepted. It does not check the timestamp's age; a server
 * does that against its own clock. Never throws: garbage returns false.
 */
export function verifyImxSignature(input: VerifyImxSignatureParameters): boolean {
  if (typeof input !== 'object' || input === null) return false;
  const { address, timestamp, signature } = input;
  if (typeof address !== 'string' || typeof timestamp !== 'string') return false;
  if (typeof signature !== 'string' || !SIGNATURE_PATTERN.test(signature)) return false;
  const recovered = recoverPersonalMessageSigner(timestamp, signature);
  return recovered !== undefined && recovered.toLowerCase() === address.toLowerCase();
}
