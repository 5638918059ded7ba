/** `handle` calls an adapter's body reader only once the request is authenticated and in limits. */
import { describe, expect, it, vi } from 'vitest';
import { imxAuthHeaders } from '../../src/index.js';
import { createRefreshService, MAX_BODY_BYTES, type ReadBody } from '../../src/server/index.js';
import { COLLECTION, PRIVATE_KEY } from '../support/fixtures.js';

const REFRESHES = '/v1/metadata-refreshes';
const BODY = JSON.stringify({ collection_address: COLLECTION, token_ids: ['1'] });

function setup() {
  const onError = vi.fn();
  const service = createRefreshService({
    fetchMetadata: async () => ({ status: 200, body: '{}' }),
    onError,
  });
  return { service, onError };
}

describe('a lazy body', () => {
  it('is not read for a caller without valid auth headers, or one declaring too much', async () => {
    const { service } = setup();
    const reader = vi.fn<ReadBody>(async () => BODY);
    const valid = await imxAuthHeaders(PRIVATE_KEY);
    const answers = [
      await service.handle({ method: 'POST', path: REFRESHES, body: reader }),
      await service.handle({
        method: 'POST',
        path: REFRESHES,
        headers: { ...valid, 'x-imx-eth-signature': `0x${'00'.repeat(65)}` },
        body: reader,
      }),
      await service.handle({
        method: 'POST',
        path: REFRESHES,
        headers: { ...valid, 'content-length': String(MAX_BODY_BYTES + 1) },
        body: reader,
      }),
      await service.handle({ method: 'GET', path: REFRESHES, headers: valid, body: reader }),
    ];
    expect(answers.map((a) => a.status)).toEqual([401, 401, 413, 200]);
    expect(reader).not.toHaveBeenCalled();
  });

  it('is read once, asking for at most the limit, for an authenticated POST', async () => {
    const { service } = setup();
    const reader = vi.fn<ReadBody>(async () => new TextEncoder().encode(BODY));
    const headers = await imxAuthHeaders(PRIVATE_KEY);
    const answer = await service.handle({ method: 'POST', path: REFRESHES, headers, body: reader });
    expect(answer.status).toBe(202);
    expect(reader.mock.calls).toEqual([[MAX_BODY_BYTES]]);
  });

  it('answers 413 when the reader returns more than the limit, 400 when it fails', async () => {
    const { service, onError } = setup();
    const headers = await imxAuthHeaders(PRIVATE_KEY);
    const over = await service.handle({
      method: 'POST',
      path: REFRESHES,
      headers,
      body: async (max) => new Uint8Array(max + 1).fill(0x20),
    });
    expect(over.status).toBe(413);
    const gone = await service.handle({
      method: 'POST',
      path: REFRESHES,
      headers,
      body: async () => {
        throw new Error('socket hang up');
      },
    });
    expect(gone).toMatchObject({ status: 400, body: { code: 'bad_request' } });
    expect(onError).not.toHaveBeenCalled();
    expect(service.rateLimitHeaders()['x-imx-remaining-refreshes']).toBe('10');
  });
});
