import { verifyMessage, Wallet } from 'ethers';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
// Any message, not only the timestamps the public API signs: the signer itself is under test.
import { normalizeSigner } from '../../src/auth/signer.js';
import {
  type EthersLikeSigner,
  type ImxSigner,
  InvalidRequestError,
  imxAuthHeaders,
  privateKeyToAddress,
  type ViemLikeAccount,
  verifyImxSignature,
} from '../../src/index.js';
import { OWNER, PRIVATE_KEY } from '../support/fixtures.js';

const IMX_SIGNATURE = /^0x[0-9a-f]{128}0[01]$/;
const TIMESTAMP = '1662433200';

const wallet = new Wallet(PRIVATE_KEY);
const otherWallet = new Wallet(`0x${'22'.repeat(32)}`);

const viemAccount: ViemLikeAccount = {
  address: wallet.address,
  signMessage: async ({ message }) => wallet.signMessage(message),
};

const ethersV5Signer: EthersLikeSigner = {
  getAddress: () => wallet.address,
  signMessage: (message) => wallet.signMessage(message),
};

const signers: Array<[string, ImxSigner]> = [
  ['a private key with 0x', PRIVATE_KEY],
  ['a private key without 0x', PRIVATE_KEY.slice(2)],
  ['an ethers v6 Wallet', wallet],
  ['a viem-style account', viemAccount],
  ['an ethers-v5-like signer', ethersV5Signer],
];

function toLegacyV(signature: string): string {
  return `${signature.slice(0, 130)}${signature.endsWith('00') ? '1b' : '1c'}`;
}

async function sign(timestamp = TIMESTAMP) {
  const headers = await imxAuthHeaders(PRIVATE_KEY, { timestamp });
  return {
    address: headers['x-imx-eth-address'],
    timestamp: headers['x-imx-eth-timestamp'],
    signature: headers['x-imx-eth-signature'],
  };
}

describe('imxAuthHeaders', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it.each(signers)('signs the timestamp with %s', async (_name, signer) => {
    const headers = await imxAuthHeaders(signer, { timestamp: TIMESTAMP });

    expect(headers['x-imx-eth-address']).toBe(OWNER);
    expect(headers['x-imx-eth-timestamp']).toBe(TIMESTAMP);
    expect(headers['x-imx-eth-signature']).toMatch(IMX_SIGNATURE);
    expect(verifyMessage(TIMESTAMP, headers['x-imx-eth-signature'])).toBe(OWNER);
  });

  it('gives every kind of signer the same signature', async () => {
    const signatures = await Promise.all(
      signers.map(async ([, signer]) => {
        const headers = await imxAuthHeaders(signer, { timestamp: TIMESTAMP });
        return headers['x-imx-eth-signature'];
      }),
    );

    expect(new Set(signatures).size).toBe(1);
  });

  it.each([
    ['1662433200', '1b', '00'],
    ['1662433203', '1c', '01'],
  ])('rewrites the wallet signature of %s from v %s to %s', async (timestamp, from, to) => {
    const legacy = await wallet.signMessage(timestamp);
    const headers = await imxAuthHeaders(wallet, { timestamp });

    expect(legacy.slice(-2)).toBe(from);
    expect(headers['x-imx-eth-signature']).toBe(`${legacy.slice(0, 130)}${to}`);
  });

  it('sends a numeric timestamp as a decimal string', async () => {
    const headers = await imxAuthHeaders(PRIVATE_KEY, { timestamp: 1662433200 });

    expect(headers['x-imx-eth-timestamp']).toBe('1662433200');
    expect(verifyMessage('1662433200', headers['x-imx-eth-signature'])).toBe(OWNER);
  });

  it('defaults the timestamp to the current unix seconds', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2022-09-06T03:00:00.999Z'));

    const headers = await imxAuthHeaders(PRIVATE_KEY);

    expect(headers['x-imx-eth-timestamp']).toBe('1662433200');
    expect(verifyMessage('1662433200', headers['x-imx-eth-signature'])).toBe(OWNER);
  });

  it.each<[string, unknown]>([
    ['a short hex string', '0x1234'],
    ['the zero private key', `0x${'00'.repeat(32)}`],
    ['a key above the curve order', `0x${'ff'.repeat(32)}`],
    ['64 characters that are not hex', `0x${'zz'.repeat(32)}`],
    ['an empty object', {}],
    ['null', null],
    ['a number', 42],
  ])('rejects %s as a signer', async (_name, signer) => {
    await expect(imxAuthHeaders(signer as never, { timestamp: TIMESTAMP })).rejects.toBeInstanceOf(
      InvalidRequestError,
    );
  });

  it.each([
    ['is not 65 bytes', '0x1234'],
    ['has an invalid v byte', `0x${'ab'.repeat(64)}05`],
  ])('rejects a signer whose signature %s', async (_name, signature) => {
    const account = { address: wallet.address, signMessage: async () => signature };

    await expect(imxAuthHeaders(account, { timestamp: TIMESTAMP })).rejects.toBeInstanceOf(
      InvalidRequestError,
    );
  });
});

describe('verifyImxSignature', () => {
  it('accepts headers produced by imxAuthHeaders', async () => {
    expect(verifyImxSignature(await sign())).toBe(true);
  });

  it('compares addresses case-insensitively', async () => {
    const input = await sign();

    expect(verifyImxSignature({ ...input, address: input.address.toLowerCase() })).toBe(true);
    expect(
      verifyImxSignature({ ...input, address: `0x${input.address.slice(2).toUpperCase()}` }),
    ).toBe(true);
  });

  it.each(['1662433200', '1662433203'])(
    'accepts the 1b/1c form of the signature of %s',
    async (timestamp) => {
      const input = await sign(timestamp);

      expect(verifyImxSignature({ ...input, signature: toLegacyV(input.signature) })).toBe(true);
    },
  );

  it('rejects a signature of another timestamp', async () => {
    const input = await sign();

    expect(verifyImxSignature({ ...input, timestamp: '1662433201' })).toBe(false);
  });

  it("rejects another wallet's address", async () => {
    const input = await sign();

    expect(verifyImxSignature({ ...input, address: otherWallet.address })).toBe(false);
  });

  it.each<[string, Record<string, unknown>]>([
    ['an empty signature', { signature: '' }],
    ['a bare 0x signature', { signature: '0x' }],
    ['a non-hex signature', { signature: `0x${'zz'.repeat(65)}` }],
    ['a signature one byte short', { signature: `0x${'ab'.repeat(64)}` }],
    ['a signature one byte long', { signature: `0x${'ab'.repeat(66)}` }],
    ['a signature with v byte 05', { signature: `0x${'ab'.repeat(64)}05` }],
    ['an undefined signature', { signature: undefined }],
    ['a numeric signature', { signature: 42 }],
    ['an undefined address', { address: undefined }],
    ['a numeric timestamp', { timestamp: 1662433200 }],
    ['an empty address', { address: '' }],
  ])('returns false for %s', async (_name, override) => {
    const input = await sign();

    expect(() => verifyImxSignature({ ...input, ...override } as never)).not.toThrow();
    expect(verifyImxSignature({ ...input, ...override } as never)).toBe(false);
  });

  it('returns false for a signature whose v byte is valid but r and s are garbage', async () => {
    const input = await sign();

    expect(verifyImxSignature({ ...input, signature: `0x${'ff'.repeat(64)}00` })).toBe(false);
  });
});

// Hex keys are signed and signatures verified with @noble directly; ethers (a dev dependency
// only) is the oracle that the results are the ones every Ethereum wallet produces.
describe('hex keys and verification agree with ethers', () => {
  const key = fc
    .uint8Array({ minLength: 32, maxLength: 32 })
    .map((bytes) => `0x${Buffer.from(bytes).toString('hex')}`)
    .filter((hex) => {
      try {
        return new Wallet(hex).address.length === 42;
      } catch {
        return false;
      }
    });
  const message = fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.nat().map(String));

  it('derives the same checksummed address and signature as an ethers Wallet', async () => {
    await fc.assert(
      fc.asyncProperty(key, message, async (privateKey, text) => {
        const wallet = new Wallet(privateKey);
        const client = await imxAuthHeaders(privateKey, { timestamp: TIMESTAMP });
        expect(client['x-imx-eth-address']).toBe(wallet.address);
        const ours = await normalizeSigner(privateKey).signMessage(text);
        const theirs = await wallet.signMessage(text);
        expect(ours).toBe(`${theirs.slice(0, 130)}0${theirs.endsWith('1b') ? 0 : 1}`);
      }),
      { numRuns: 60 },
    );
  });

  it('recovers exactly the signers ethers recovers, and rejects what ethers rejects', async () => {
    await fc.assert(
      fc.asyncProperty(key, message, fc.nat({ max: 64 }), async (privateKey, text, flip) => {
        const wallet = new Wallet(privateKey);
        const signature = await wallet.signMessage(text);
        expect(verifyImxSignature({ address: wallet.address, timestamp: text, signature })).toBe(
          true,
        );
        // One byte of r, s or v changed: whatever ethers recovers (or refuses), we agree.
        const bytes = Buffer.from(signature.slice(2), 'hex');
        bytes[flip] = ((bytes[flip] as number) + 1) % 256;
        const tampered = `0x${bytes.toString('hex')}`;
        let recovered: string | undefined;
        try {
          recovered = verifyMessage(text, tampered);
        } catch {
          recovered = undefined;
        }
        const accepted = verifyImxSignature({
          address: wallet.address,
          timestamp: text,
          signature: tampered,
        });
        expect(accepted).toBe(recovered === wallet.address);
        if (recovered) {
          expect(
            verifyImxSignature({ address: recovered, timestamp: text, signature: tampered }),
          ).toBe(true);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('refuses the malleated twin (n - s, v flipped) of a valid signature, as ethers does', async () => {
    const signature = await wallet.signMessage(TIMESTAMP);
    const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
    const s = BigInt(`0x${signature.slice(66, 130)}`);
    const v = signature.endsWith('1b') ? '1c' : '1b';
    const twin = `${signature.slice(0, 66)}${(n - s).toString(16).padStart(64, '0')}${v}`;

    expect(() => verifyMessage(TIMESTAMP, twin)).toThrow(/non-canonical s/);
    expect(
      verifyImxSignature({ address: wallet.address, timestamp: TIMESTAMP, signature: twin }),
    ).toBe(false);
  });
});

describe('privateKeyToAddress', () => {
  it('gives the checksummed address a wallet of the key has, with or without 0x', () => {
    expect(privateKeyToAddress(PRIVATE_KEY)).toBe(wallet.address);
    expect(privateKeyToAddress(PRIVATE_KEY.slice(2))).toBe(wallet.address);
    expect(privateKeyToAddress(`0x${'22'.repeat(32)}`)).toBe(otherWallet.address);
  });

  it.each([
    ['a short hex string', '0x1234'],
    ['the zero key', `0x${'00'.repeat(32)}`],
    ['a key above the curve order', `0x${'ff'.repeat(32)}`],
    ['not a string', 42],
  ])('refuses %s with InvalidRequestError, never echoing the key', (_name, key) => {
    let error: unknown;
    try {
      privateKeyToAddress(key as string);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidRequestError);
    if (typeof key === 'string' && key.length > 10) {
      expect((error as Error).message).not.toContain(key.slice(2, 12));
    }
  });
});

describe('an ethers-like signer whose getAddress fails', () => {
  it('is asked again on the next request: one failure (a locked wallet) is not kept', async () => {
    let locked = true;
    let asked = 0;
    const signer: EthersLikeSigner = {
      getAddress: async () => {
        asked++;
        if (locked) throw new Error('wallet locked');
        return wallet.address;
      },
      signMessage: (message) => wallet.signMessage(message),
    };
    const normalized = normalizeSigner(signer);

    await expect(normalized.getAddress()).rejects.toThrow('wallet locked');
    locked = false;
    await expect(normalized.getAddress()).resolves.toBe(wallet.address);
    await expect(normalized.getAddress()).resolves.toBe(wallet.address);
    expect(asked).toBe(2);
  });
});
