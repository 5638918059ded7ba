/** Shared set-up of the zkEVM engine tests: a manual clock, fixed ids, and calls that check the OpenAPI. */
import { expect } from 'vitest';
import type { Clock } from '../../../src/clock.js';
import type { ServiceRequest, ServiceResponse } from '../../../src/engine/types.js';
import { emptyFields } from '../../../src/engine/zkevm/metadata.js';
import { createZkEvmService } from '../../../src/engine/zkevm/service.js';
import type { ZkEvmService, ZkEvmServiceOptions } from '../../../src/engine/zkevm/types.js';
import { openApiProblems } from './openapi.js';

export const KEY = 'sk_imapik-test-0123456789';
export const CHAIN = 'imtbl-zkevm-testnet';
export const COLLECTION = '0x8a90cab2b38dba80c64b7734e58ee1db38b8992e';
export const OTHER_COLLECTION = `0x${'cd'.repeat(20)}`;
export const START = Date.parse('2024-04-16T10:06:07.401Z');

/** A clock that moves only when told, or when something sleeps on it. */
export interface ManualClock extends Clock {
  advance(ms: number): void;
  sleeps: number[];
}

export function manualClock(start = START): ManualClock {
  let now = start;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    advance: (ms) => {
      now += ms;
    },
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
  };
}

/** Deterministic UUIDs: `00000000-0000-4000-8000-000000000001`, … */
export function sequentialIds(): () => string {
  let n = 0;
  return () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`;
}

export const EMPTY_FIELDS = emptyFields();

/** One `nft_metadata` item: every field null unless given. */
export function item(tokenId: string, fields: Record<string, unknown> = {}) {
  return { token_id: tokenId, ...EMPTY_FIELDS, ...fields };
}

/** One `metadata` item. */
export function stackedItem(metadataId: string, fields: Record<string, unknown> = {}) {
  return { metadata_id: metadataId, ...EMPTY_FIELDS, ...fields };
}

const base = (chain: string, address: string) => `/v1/chains/${chain}/collections/${address}`;

export const paths = {
  refreshNfts: (address = COLLECTION, chain = CHAIN) =>
    `${base(chain, address)}/nfts/refresh-metadata`,
  refreshStacks: (address = COLLECTION, chain = CHAIN) =>
    `${base(chain, address)}/metadata/refresh-metadata`,
  nft: (tokenId: string, address = COLLECTION, chain = CHAIN) =>
    `${base(chain, address)}/nfts/${tokenId}`,
  nfts: (query = '', address = COLLECTION, chain = CHAIN) =>
    `${base(chain, address)}/nfts${query === '' ? '' : `?${query}`}`,
};

/** A service, its clock, and calls whose every answer must match the OpenAPI file. */
export function setup(options: Partial<ZkEvmServiceOptions> = {}) {
  const clock = manualClock();
  const service: ZkEvmService = createZkEvmService({
    apiKey: KEY,
    clock,
    generateId: sequentialIds(),
    ...options,
  });
  async function call(request: ServiceRequest): Promise<ServiceResponse> {
    const response = await service.handle(request);
    expect(openApiProblems(request, response)).toEqual([]);
    return response;
  }
  /** `key` null: no key header at all. */
  const post = (path: string, body: unknown, key: string | null = KEY) =>
    call({
      method: 'POST',
      path,
      headers: key === null ? {} : { 'x-immutable-api-key': key },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const get = (path: string) => call({ method: 'GET', path });
  return { service, clock, call, post, get };
}

/** The error body's fields a test looks at. */
export function errorOf(response: ServiceResponse): {
  code: string;
  message: string;
  details: Record<string, unknown> | null;
} {
  return response.body as {
    code: string;
    message: string;
    details: Record<string, unknown> | null;
  };
}
