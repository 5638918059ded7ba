/**
 * The Ethereum key operations the SDK needs (EIP-191 personal-message signing and recovery,
 * EIP-55 addresses, random keys), on `@noble/curves` and `@noble/hashes`: the audited code ethers
 * itself signs with, without the rest of ethers. Imported statically, so a bundler (esbuild,
 * webpack) sees them and a bundled app signs with no `node_modules` beside it; a lazy
 * `createRequire` saved a few milliseconds of cold start but broke every bundle. The curve's
 * tables are still computed on first use, by @noble itself.
 */
import { secp256k1 } from '@noble/curves/secp256k1';
import { keccak_256 as keccak256 } from '@noble/hashes/sha3';

const utf8 = new TextEncoder();

const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
/** Bytes of a hex string (`0x` optional); throws rather than stop at the first non-hex character. */
function fromHex(hex: string): Uint8Array {
  const digits = hex.startsWith('0x') ? hex.slice(2) : hex;
  if (digits.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(digits)) throw new Error('not hex');
  return Uint8Array.from(Buffer.from(digits, 'hex'));
}

/** The EIP-191 digest of a personal message: keccak256("\x19Ethereum Signed Message:\n" + len + message). */
function personalMessageDigest(message: string): Uint8Array {
  const body = utf8.encode(message);
  const prefix = utf8.encode(`\x19Ethereum Signed Message:\n${body.length}`);
  const bytes = new Uint8Array(prefix.length + body.length);
  bytes.set(prefix);
  bytes.set(body, prefix.length);
  return keccak256(bytes);
}

/** The EIP-55 (mixed-case checksum) address of an uncompressed public key. */
function addressOf(uncompressedPublicKey: Uint8Array): string {
  const lower = toHex(keccak256(uncompressedPublicKey.subarray(1)).subarray(12));
  const hash = toHex(keccak256(utf8.encode(lower)));
  let out = '0x';
  for (let i = 0; i < lower.length; i++) {
    const c = lower[i] as string;
    out += Number.parseInt(hash[i] as string, 16) >= 8 ? c.toUpperCase() : c;
  }
  return out;
}

/** A value that is not a secp256k1 private key (a broken install is another error). */
export class InvalidPrivateKeyError extends Error {
  override name = 'InvalidPrivateKeyError';
}

/** A validated private key: its address and EIP-191 signatures. */
export interface Secp256k1Key {
  /** The key's EIP-55 address (derived on first use: it costs the curve's one-time tables). */
  address(): string;
  /** The EIP-191 signature of `message`, as r ‖ s ‖ v with v as `00`/`01` (low s, RFC 6979). */
  signPersonalMessage(message: string): string;
}

/**
 * A signing key from 64 hex characters (`0x` optional). Throws {@link InvalidPrivateKeyError}
 * when the value is not a valid secp256k1 private key (not hex, zero, or not below the curve's
 * order); the check is cheap, so a misconfigured key fails at construction while the first curve
 * multiplication waits for use.
 */
export function secp256k1Key(privateKeyHex: string): Secp256k1Key {
  let key: Uint8Array;
  try {
    key = fromHex(privateKeyHex);
  } catch {
    throw new InvalidPrivateKeyError('not hex');
  }
  if (key.length !== 32 || !secp256k1.utils.isValidPrivateKey(key)) {
    throw new InvalidPrivateKeyError('not a valid secp256k1 private key');
  }
  let address: string | undefined;
  return {
    address: () => {
      address ??= addressOf(secp256k1.getPublicKey(key, false));
      return address;
    },
    signPersonalMessage(message) {
      const signature = secp256k1.sign(personalMessageDigest(message), key, { lowS: true });
      return `0x${signature.toCompactHex()}0${signature.recovery}`;
    },
  };
}

/**
 * The EIP-55 address that signed `message`, from a 65-byte hex signature whose v is 0/1 or 27/28;
 * undefined when no signer can be recovered (not 65 bytes of hex, out-of-range r or s, an s with
 * its top bit set, another v). Never throws.
 */
export function recoverPersonalMessageSigner(
  message: string,
  signature: string,
): string | undefined {
  let bytes: Uint8Array;
  try {
    bytes = fromHex(signature);
  } catch {
    return undefined;
  }
  if (bytes.length !== 65) return undefined;
  // The same rule ethers applies: an s with its top bit set is not a canonical signature.
  if (((bytes[32] as number) & 0x80) !== 0) return undefined;
  const v = bytes[64] as number;
  const recovery = v >= 27 ? v - 27 : v;
  if (recovery !== 0 && recovery !== 1) return undefined;
  let publicKey: Uint8Array;
  try {
    publicKey = secp256k1.Signature.fromCompact(bytes.subarray(0, 64))
      .addRecoveryBit(recovery)
      .recoverPublicKey(personalMessageDigest(message))
      .toRawBytes(false);
  } catch {
    return undefined;
  }
  return addressOf(publicKey);
}

/** A fresh random private key, `0x` + 64 hex (the CLI's throwaway demo keys). */
export function randomPrivateKey(): string {
  return `0x${toHex(secp256k1.utils.randomPrivateKey())}`;
}
