import { describe, expect, it } from 'vitest';
import { InvalidRequestError, MemoryStore } from '../../src/index.js';
import { storeContract } from './store-contract.js';

storeContract('memory', async (options) => new MemoryStore(options));

describe('MemoryStore', () => {
  it('refuses a window that is not a positive number of milliseconds', () => {
    for (const windowMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, '60000' as never]) {
      expect(() => new MemoryStore({ windowMs })).toThrow(InvalidRequestError);
    }
  });
});
