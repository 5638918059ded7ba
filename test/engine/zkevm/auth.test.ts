import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../../src/errors.js';
import { errorOf, item, KEY, paths, setup } from './harness.js';

const body = { nft_metadata: [item('1')] };

describe('API key', () => {
  it('answers a missing or blank key 401 UNAUTHORISED_REQUEST, before reading the body', async () => {
    const { post, service } = setup();
    for (const key of [null, '', '   ']) {
      const res = await post(paths.refreshNfts(), 'not json at all', key);
      expect(res.status).toBe(401);
      expect(errorOf(res).code).toBe('UNAUTHORISED_REQUEST');
    }
    expect(service.budget().remaining).toBe(100);
  });

  it('answers another key 403 AUTHENTICATION_ERROR, on both refresh routes', async () => {
    const { post } = setup();
    for (const path of [paths.refreshNfts(), paths.refreshStacks()]) {
      const res = await post(path, body, `${KEY}x`);
      expect(res.status).toBe(403);
      expect(errorOf(res).code).toBe('AUTHENTICATION_ERROR');
      expect(JSON.stringify(res)).not.toContain(KEY);
    }
  });

  it('checks the key before the chain and the collection', async () => {
    const { post } = setup({ collections: [] });
    const res = await post(paths.refreshNfts(undefined, 'imtbl-zkevm-mainnet'), body, 'wrong');
    expect(res.status).toBe(403);
  });

  it('takes a predicate, so a mock can accept any non-empty key', async () => {
    const { post } = setup({ apiKey: (key) => key.startsWith('sk_imapik-') });
    expect((await post(paths.refreshNfts(), body, 'sk_imapik-anything')).status).toBe(202);
    expect((await post(paths.refreshNfts(), body, 'pk_imapik-public')).status).toBe(403);
  });

  it('reads headers in any case and as arrays', async () => {
    const { call } = setup();
    const res = await call({
      method: 'post',
      path: paths.refreshNfts(),
      headers: { 'X-Immutable-Api-Key': [KEY] },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(202);
  });

  it('needs no key to read NFTs, and ignores a wrong one', async () => {
    const { call } = setup();
    expect((await call({ method: 'GET', path: paths.nft('1') })).status).toBe(200);
    const wrong = await call({
      method: 'GET',
      path: paths.nfts(),
      headers: { 'x-immutable-api-key': 'wrong' },
    });
    expect(wrong.status).toBe(200);
  });

  it('refuses to start without a key rule', async () => {
    expect(() => setup({ apiKey: '' })).toThrow(InvalidOptionError);
    expect(() => setup({ apiKey: undefined as unknown as string })).toThrow(InvalidOptionError);
  });
});
