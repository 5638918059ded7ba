/**
 * The zkEVM reference engine behind the shared msw server, for the zkEVM client tests: a tiny
 * handler that turns an msw request into the engine's `ServiceRequest` and its answer back (as
 * `src/msw/mock.ts` does for Immutable X), until the package ships its own zkEVM adapter.
 *
 * Call `useZkEvm()` in a describe block. Before each test it makes a fresh test clock, a fresh
 * engine on that clock and installs the handler; client and engine share one time, and every
 * client sleep moves it. Handlers a test adds with `server.use` take precedence (wire fixtures).
 */
import { HttpResponse, http } from 'msw';
import { beforeEach } from 'vitest';
import type { ZkEvmService, ZkEvmServiceOptions } from '../../src/engine/zkevm/index.js';
import { createZkEvmService } from '../../src/engine/zkevm/index.js';
import { ZkEvmMetadataClient, type ZkEvmMetadataClientOptions } from '../../src/index.js';
import { createTestClock, type TestClock } from './fixtures.js';
import { server } from './msw.js';

export const ZK_BASE_URL = 'https://zkevm.test';
export const ZK_CHAIN = 'imtbl-zkevm-testnet';
export const ZK_API_KEY = 'sk_imapik-test-4f9Qm2LxPv7SecretKeyValue';
export const CONTRACT = '0x8a90cab2b38dba80c64b7734e58ee1db38b8992e';

/** A request the engine received. */
export interface ZkRecorded {
  method: string;
  /** Path without the query. */
  path: string;
  query: URLSearchParams;
  headers: Headers;
  /** Parsed JSON, or undefined without a body. */
  body: unknown;
}

export interface ZkEvmSetup {
  /** This test's engine. */
  readonly service: ZkEvmService;
  /** This test's clock, shared by engine and client. */
  readonly clock: TestClock;
  /** Every request the engine received in this test, oldest first. */
  readonly requests: ZkRecorded[];
  /** A client of the engine on this test's clock. */
  client(options?: Partial<ZkEvmMetadataClientOptions>): ZkEvmMetadataClient;
}

/** The msw handler forwarding everything under `base` to `service.handle`. */
export function forwardTo(service: ZkEvmService, requests: ZkRecorded[], base = ZK_BASE_URL) {
  return http.all(`${base}/v1/*`, async ({ request }) => {
    const url = new URL(request.url);
    const bytes = new Uint8Array(await request.arrayBuffer());
    const text = bytes.byteLength === 0 ? undefined : new TextDecoder().decode(bytes);
    requests.push({
      method: request.method,
      path: url.pathname,
      query: url.searchParams,
      headers: request.headers,
      body: text === undefined ? undefined : JSON.parse(text),
    });
    const answer = await service.handle({
      method: request.method,
      path: url.pathname + url.search,
      headers: request.headers,
      body: bytes.byteLength === 0 ? undefined : bytes,
    });
    return HttpResponse.json(answer.body as never, {
      status: answer.status,
      headers: answer.headers,
    });
  });
}

export function useZkEvm(options: Partial<ZkEvmServiceOptions> = {}): ZkEvmSetup {
  let clock = createTestClock();
  let service: ZkEvmService;
  const requests: ZkRecorded[] = [];
  let ids = 0;
  beforeEach(() => {
    clock = createTestClock();
    requests.length = 0;
    ids = 0;
    const current = clock;
    service = createZkEvmService({
      apiKey: ZK_API_KEY,
      chainName: ZK_CHAIN,
      clock: { now: () => current.now(), sleep: (ms, signal) => current.sleep(ms, signal) },
      generateId: () => {
        ids += 1;
        return `00000000-0000-4000-8000-${String(ids).padStart(12, '0')}`;
      },
      ...options,
    });
    server.use(forwardTo(service, requests));
  });
  return {
    get service() {
      return service;
    },
    get clock() {
      return clock;
    },
    requests,
    client: (overrides = {}) =>
      new ZkEvmMetadataClient({
        apiKey: ZK_API_KEY,
        baseURL: ZK_BASE_URL,
        chainName: ZK_CHAIN,
        clock,
        ...overrides,
      }),
  };
}
