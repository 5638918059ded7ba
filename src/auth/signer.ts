import { InvalidRequestError } from '../errors.js';
import { SIGNATURE_PATTERN } from '../wire/limits.js';
import { InvalidPrivateKeyError, type Secp256k1Key, secp256k1Key } from './secp256k1.js';

/** Anything with `getAddress()` and `signMessage(string)`: an ethers v6 or v5 `Signer`/`Wallet`. */
export interface EthersLikeSigner {
  /**
   * The signer's address.
   *
   * @throws what the signer throws (a locked wallet, say): the client's request rejects with
   * `MetadataRefreshError` (the signer's error as `cause`) and is not sent; `imxAuthHeaders`
   * rejects with it as is.
   */
  getAddress(): Promise<string> | string;
  /**
   * EIP-191 personal-message signature of `message`.
   *
   * @throws what the signer throws (a hardware wallet refusing, say): the client's request
   * rejects with `MetadataRefreshError` (the signer's error as `cause`) and is not sent;
   * `imxAuthHeaders` rejects with it as is.
   */
  signMessage(message: string): Promise<string>;
}

/** Parameters of {@link ViemLikeAccount.signMessage}, as viem names them. */
export interface ViemSignMessageParameters {
  /** The message to sign (the request's timestamp). */
  message: string;
}

/** A viem-style account: `{ address, signMessage({ message }) }`, e.g. `privateKeyToAccount(...)`. */
export interface ViemLikeAccount {
  /** The account's address. */
  address: string;
  /**
   * EIP-191 personal-message signature of `message`.
   *
   * @throws what the account throws: the client's request rejects with `MetadataRefreshError`
   * (the account's error as `cause`) and is not sent; `imxAuthHeaders` rejects with it as is.
   */
  signMessage(parameters: ViemSignMessageParameters): Promise<string>;
}

/**
 * Who signs the requests: an ethers `Signer`/`Wallet` (v5 or v6), a viem-style account, or a
 * hex private key string (`0x` + 64 hex). No provider is needed.
 */
export type ImxSigner = EthersLikeSigner | ViemLikeAccount | string;

/** A signer reduced to what the SDK needs. Signatures come back with v as `00`/`01`. */
export interface NormalizedSigner {
  getAddress(): Promise<string>;
  /** EIP-191 personal-message signature of `message`, serialised as r ‖ s ‖ v (v = 00 or 01). */
  signMessage(message: string): Promise<string>;
}

const PRIVATE_KEY = /^(0x)?[0-9a-fA-F]{64}$/;

/**
 * Rewrites a 65-byte signature's v byte from 27/28 (`1b`/`1c`) to 0/1 (`00`/`01`), the form the
 * platform's own clients send. A signature already in that form is returned unchanged.
 */
export function toImxSignatureForm(signature: string): string {
  if (!SIGNATURE_PATTERN.test(signature)) {
    throw new InvalidRequestError('The signer returned a signature that is not 65 bytes of hex');
  }
  const v = Number.parseInt(signature.slice(130), 16);
  const parity = v >= 27 ? v - 27 : v;
  if (parity !== 0 && parity !== 1) {
    throw new InvalidRequestError(`The signer returned a signature with an invalid v byte (${v})`);
  }
  return `${signature.slice(0, 130).toLowerCase()}0${parity}`;
}

function fromSigningKey(signingKey: Secp256k1Key): NormalizedSigner {
  return {
    getAddress: async () => signingKey.address(),
    signMessage: async (message) => signingKey.signPersonalMessage(message),
  };
}

/** A private key as the SDK takes it, checked, as a signing key. */
function signingKeyOf(key: string, name: string) {
  if (!PRIVATE_KEY.test(key)) {
    throw new InvalidRequestError(
      `${name}: a private key string must be 64 hex characters, optionally after 0x`,
    );
  }
  try {
    return secp256k1Key(key);
  } catch (cause) {
    // Only a bad key is the caller's mistake; a missing @noble install throws as itself.
    if (!(cause instanceof InvalidPrivateKeyError)) throw cause;
    throw new InvalidRequestError(`${name}: the private key is not a valid secp256k1 key`, {
      cause,
    });
  }
}

/**
 * The address (EIP-55 checksummed) of a hex private key: the project owner to configure a
 * reference server or mock with, when the SDK signs with that key and no wallet library is at
 * hand. The key never appears in an error.
 *
 * @example
 * ```ts
 * const server = createReferenceServer({ owner: privateKeyToAddress(process.env.IMX_PRIVATE_KEY!) });
 * ```
 * @throws {InvalidRequestError} not 64 hex characters (`0x` optional), or not a valid secp256k1 key.
 */
export function privateKeyToAddress(privateKey: string): string {
  return signingKeyOf(privateKey, 'privateKey').address();
}

/**
 * Turns any supported signer into a {@link NormalizedSigner}. Throws `InvalidRequestError` for
 * anything else (including a malformed private key), so a misconfigured client fails at
 * construction rather than on its first request.
 */
export function normalizeSigner(signer: ImxSigner): NormalizedSigner {
  if (typeof signer === 'string') return fromSigningKey(signingKeyOf(signer, 'signer'));
  if (signer && typeof signer === 'object' && typeof signer.signMessage === 'function') {
    if ('getAddress' in signer && typeof signer.getAddress === 'function') {
      const ethers = signer as EthersLikeSigner;
      let address: Promise<string> | undefined;
      return {
        getAddress: () => {
          if (!address) {
            const asked = Promise.resolve().then(() => ethers.getAddress());
            // A failure (a locked wallet) is not kept: the next request asks the signer again.
            asked.catch(() => {
              if (address === asked) address = undefined;
            });
            address = asked;
          }
          return address;
        },
        signMessage: async (message) => toImxSignatureForm(await ethers.signMessage(message)),
      };
    }
    if ('address' in signer && typeof signer.address === 'string') {
      const account = signer as ViemLikeAccount;
      return {
        getAddress: async () => account.address,
        signMessage: async (message) => toImxSignatureForm(await account.signMessage({ message })),
      };
    }
  }
  throw new InvalidRequestError(
    'signer must be an ethers Signer/Wallet, a viem-style account ({ address, signMessage }) or a hex private key',
  );
}
