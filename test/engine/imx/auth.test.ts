import { describe, expect, it, vi } from 'vitest';
import { cachedVerifier } from '../../../src/engine/imx/auth.js';
import { imxAuthHeaders } from '../../../src/index.js';
import { OWNER, PRIVATE_KEY } from '../../support/fixtures.js';

describe('cachedVerifier', () => {
  it('answers exactly like verifyImxSignature, remembering recent answers', async () => {
    const verify = cachedVerifier(2);
    const h = await imxAuthHeaders(PRIVATE_KEY, { timestamp: 100 });
    const good = { address: OWNER, timestamp: '100', signature: h['x-imx-eth-signature'] };
    expect(verify(good)).toBe(true);
    expect(verify({ ...good, timestamp: '101' })).toBe(false);
    expect(verify(good)).toBe(true);
    expect(verify({ ...good, address: OWNER.toLowerCase() })).toBe(true);
    expect(verify({ ...good, signature: '0xgarbage' })).toBe(false);
  });

  it('does not recover the same key twice for one signature, and forgets the oldest', () => {
    const recover = vi.fn(() => true);
    const verify = cachedVerifier(2, recover);
    const input = (signature: string) => ({ address: OWNER, timestamp: '1', signature });
    for (let i = 0; i < 100; i++) verify(input('a'));
    expect(recover).toHaveBeenCalledTimes(1);
    verify(input('b'));
    verify(input('c'));
    verify(input('a'));
    expect(recover).toHaveBeenCalledTimes(4);
  });
});
