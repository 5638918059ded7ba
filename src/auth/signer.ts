import { InvalidRequestError } from '../errors.js';
import { SIGNATURE_PATTERN } from '../wire/limits.js';
import { secp256k1Key } from './secp256k1.js';

/** Anything with `getAddress()` and `signMessage(string)`: an ethers v6 or v5 `Signer`/`Wallet`. */
export interface EthersLikeSigner {
  /** The signer's address. */
  getAddress(): Promise<string> | string;
  /** EIP-191 personal-message signature of `message`. */
  signMessage(message: string): Promise<string>;
}

/** A viem-style account: `{ address, signMessage({ message }) }`, e.g. `privateKeyToAccount(...)`. */
export interface ViemLikeAccount {
  /** The account's address. */
  address: string;
  /** EIP-191 personal-message signature of `message`. */
  signMessage(args: { message: string }): Promise<string>;
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

function fromPrivateKey(key: string): NormalizedSigner {
  const signingKey = secp256k1Key(key);
  return {
    getAddress: async () => signingKey.address(),
    signMessage: async (message) => signingKey.signPersonalMessage(message),
  };
}

/**
 * Turns any supported signer into a {@link NormalizedSigner}. Throws `InvalidRequestError` for
 * anything else (including a malformed private key), so a misconfigured client fails at
 * construction rather than on its first request.
 */
export function normalizeSigner(signer: ImxSigner): NormalizedSigner {
  if (typeof signer === 'string') {
    if (!PRIVATE_KEY.test(signer)) {
      throw new InvalidRequestError(
        'signer: a private key string must be 0x followed by 64 hex characters',
      );
    }
    try {
      return fromPrivateKey(signer);
    } catch (cause) {
      throw new InvalidRequestError('signer: the private key is not a valid secp256k1 key', {
        cause,
      });
    }
  }
  if (signer && typeof signer === 'object' && typeof signer.signMessage === 'function') {
    if ('getAddress' in signer && typeof signer.getAddress === 'function') {
      const ethers = signer as EthersLikeSigner;
      let address: Promise<string> | undefined;
      return {
        getAddress: () => {
          address ??= Promise.resolve(ethers.getAddress());
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
