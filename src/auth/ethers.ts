/**
 * The parts of ethers the SDK uses, loaded on first use instead of at import: ethers is a large
 * share of the package's import time, and many processes import the SDK long before they sign
 * anything. `require` keeps first use synchronous, so `verifyImxSignature` can stay a plain
 * function.
 */
import { createRequire } from 'node:module';

type EthersCrypto = typeof import('ethers/crypto');
type EthersHash = typeof import('ethers/hash');
type EthersTransaction = typeof import('ethers/transaction');

/** What the SDK uses of ethers. */
export interface EthersParts {
  SigningKey: EthersCrypto['SigningKey'];
  Signature: EthersCrypto['Signature'];
  hashMessage: EthersHash['hashMessage'];
  computeAddress: EthersTransaction['computeAddress'];
  recoverAddress: EthersTransaction['recoverAddress'];
}

let parts: EthersParts | undefined;

/** Loads (once) and returns the ethers functions the SDK needs. */
export function ethers(): EthersParts {
  if (!parts) {
    const require = createRequire(import.meta.url);
    const crypto = require('ethers/crypto') as EthersCrypto;
    const hash = require('ethers/hash') as EthersHash;
    const transaction = require('ethers/transaction') as EthersTransaction;
    parts = {
      SigningKey: crypto.SigningKey,
      Signature: crypto.Signature,
      hashMessage: hash.hashMessage,
      computeAddress: transaction.computeAddress,
      recoverAddress: transaction.recoverAddress,
    };
  }
  return parts;
}
