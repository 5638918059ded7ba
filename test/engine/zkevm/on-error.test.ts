/** A bug in the zkEVM engine is told to `onError` and answered 500, never silently. */
import { describe, expect, it, vi } from 'vitest';
import { createZkEvmService, type ServiceErrorContext } from '../../../src/server/index.js';
import { CHAIN, COLLECTION, KEY } from './harness.js';

const BUG = new Error('a bug in the key predicate');
const PATH = `/v1/chains/${CHAIN}/collections/${COLLECTION}/nfts/refresh-metadata`;
const push = {
  method: 'POST',
  path: `${PATH}?x=1`,
  headers: { 'x-immutable-api-key': KEY },
  body: JSON.stringify({ nft_metadata: [{ token_id: '1', name: 'Hero' }] }),
};
const throwing = () => {
  throw BUG;
};

describe('onError', () => {
  it('is told of a bug in handle with method and path, and the caller gets a 500', async () => {
    const reports: [unknown, ServiceErrorContext][] = [];
    const service = createZkEvmService({
      apiKey: throwing,
      onError: (error, context) => reports.push([error, context]),
    });
    const answer = await service.handle(push);
    expect(answer.status).toBe(500);
    expect(answer.body).toMatchObject({ code: 'INTERNAL_SERVER_ERROR' });
    expect(reports).toEqual([[BUG, { source: 'request', method: 'POST', path: PATH }]]);
  });

  it('still answers 500 when onError itself throws', async () => {
    const service = createZkEvmService({ apiKey: throwing, onError: throwing });
    expect((await service.handle(push)).status).toBe(500);
  });

  it('by default writes one stderr line naming the route, never the key', async () => {
    const written: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
    try {
      const service = createZkEvmService({ apiKey: throwing });
      expect((await service.handle(push)).status).toBe(500);
    } finally {
      spy.mockRestore();
    }
    const text = written.join('');
    expect(text).toContain(`internal error in POST ${PATH}:`);
    expect(text).toContain('a bug in the key predicate');
    expect(text).not.toContain(KEY);
  });

  it('is not told of bad input', async () => {
    const onError = vi.fn();
    const service = createZkEvmService({ apiKey: KEY, onError });
    const answers = await Promise.all([
      service.handle({ ...push, body: '{' }),
      service.handle({ ...push, headers: {} }),
      service.handle({ method: 'GET', path: '/v1/chains/%zz' }),
    ]);
    expect(answers.map((a) => a.status)).toEqual([400, 401, 400]);
    expect(onError).not.toHaveBeenCalled();
  });
});
