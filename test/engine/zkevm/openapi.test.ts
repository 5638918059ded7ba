import { describe, expect, it } from 'vitest';
import { COLLECTION, item, KEY, paths, setup } from './harness.js';
import { openApiProblems, operationOf } from './openapi.js';

describe('the OpenAPI check itself', () => {
  it('matches literal segments before parameters', () => {
    expect(operationOf({ method: 'POST', path: paths.refreshNfts() })?.template).toMatch(
      /nfts\/refresh-metadata$/,
    );
    expect(operationOf({ method: 'GET', path: paths.nft('7') })?.template).toMatch(
      /nfts\/\{token_id\}$/,
    );
    expect(operationOf({ method: 'DELETE', path: paths.nft('7') })?.operation).toBeUndefined();
    expect(operationOf({ method: '__proto__', path: paths.nft('7') })?.operation).toBeUndefined();
  });

  it('refuses answers the file contradicts', async () => {
    const { service } = setup();
    const request = {
      method: 'POST',
      path: paths.refreshNfts(),
      headers: { 'x-immutable-api-key': KEY },
      body: JSON.stringify({ nft_metadata: [item('1')] }),
    };
    const accepted = await service.handle(request);
    expect(openApiProblems(request, accepted)).toEqual([]);
    const { 'retry-after': _, ...headers } = accepted.headers;
    expect(openApiProblems(request, { ...accepted, headers })).toEqual([
      'missing header retry-after',
    ]);
    expect(openApiProblems(request, { ...accepted, status: 200 })).toEqual([
      expect.stringContaining('status 200 is not declared'),
    ]);
    expect(openApiProblems(request, { ...accepted, body: { imx_refreshes_limit: 1 } })).not.toEqual(
      [],
    );

    const read = { method: 'GET', path: paths.nft('1') };
    const nft = await service.handle(read);
    expect(openApiProblems(read, nft)).toEqual([]);
    const result = (nft.body as { result: Record<string, unknown> }).result;
    const broken = [
      { ...result, metadata_synced_at: 'yesterday' },
      { ...result, attributes: [{ trait_type: 'a', value: 1, display_type: 'percent' }] },
      { ...result, contract_type: 'ERC20' },
      Object.fromEntries(Object.entries(result).filter(([k]) => k !== 'external_link')),
    ];
    for (const body of broken) {
      expect(openApiProblems(read, { ...nft, body: { result: body } })).not.toEqual([]);
    }
    const nullable = { ...result, attributes: [{ trait_type: 'a', value: 1, display_type: null }] };
    expect(openApiProblems(read, { ...nft, body: { result: nullable } })).toEqual([]);
  });

  it('requires the error shape on paths no operation serves', () => {
    const request = { method: 'GET', path: `/v2/${COLLECTION}` };
    const body = {
      message: 'm',
      link: 'l',
      trace_id: 't',
      code: 'RESOURCE_NOT_FOUND',
      details: null,
    };
    expect(openApiProblems(request, { status: 404, headers: {}, body })).toEqual([]);
    expect(
      openApiProblems(request, { status: 404, headers: {}, body: { code: 'RESOURCE_NOT_FOUND' } }),
    ).not.toEqual([]);
    expect(openApiProblems(request, { status: 200, headers: {}, body: {} })).not.toEqual([]);
  });
});
