/** One class and one message form for a bad option, wherever it is given (issue 23). */
import { describe, expect, it } from 'vitest';
import {
  InvalidOptionError,
  InvalidRequestError,
  MemoryStore,
  MetadataRefreshClient,
  metadataApiSource,
  RefreshScheduler,
  ZkEvmMetadataClient,
  zkEvmTarget,
} from '../src/index.js';
import { createZkEvmMock } from '../src/msw/index.js';
import { createRedisStore } from '../src/redis/index.js';
import { createRefreshService } from '../src/server/index.js';

const SECRET = 'sk_imapik-do-not-echo-this';

/** The error `run` throws. */
function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('did not throw');
}

describe('a bad option', () => {
  it('throws the same class from MemoryStore and createRedisStore, naming owner and option', () => {
    const memory = thrown(() => new MemoryStore({ windowMs: 0 }));
    const redis = thrown(() => createRedisStore({ url: 'redis://localhost:1', windowMs: 0 }));
    for (const [error, owner] of [
      [memory, 'MemoryStore'],
      [redis, 'createRedisStore'],
    ] as const) {
      expect(error).toBeInstanceOf(InvalidOptionError);
      // Code that catches the wider class keeps working.
      expect(error).toBeInstanceOf(InvalidRequestError);
      expect(error).toMatchObject({
        name: 'InvalidOptionError',
        owner,
        option: 'windowMs',
        message: `${owner}: windowMs must be a positive number, got 0`,
      });
    }
  });

  it.each([
    ['-5', -5, 'got -5'],
    ['NaN', Number.NaN, 'got NaN'],
    ['a string', '3600000', 'got a string'],
    ['a boolean', true, 'got a boolean'],
    ['an object', {}, 'got an object'],
  ])('says what it got: %s', (_name, windowMs, got) => {
    expect(() => new MemoryStore({ windowMs: windowMs as number })).toThrow(
      `MemoryStore: windowMs must be a positive number, ${got}`,
    );
  });

  it('never echoes a string, which could be a secret', () => {
    const errors = [
      thrown(
        () =>
          new ZkEvmMetadataClient({
            apiKey: SECRET,
            environment: 'sandbox',
            timeoutMs: SECRET as unknown as number,
          }),
      ),
      thrown(
        () => new ZkEvmMetadataClient({ apiKey: `${SECRET} with a space`, environment: 'sandbox' }),
      ),
      thrown(
        () =>
          new MetadataRefreshClient({
            baseURL: `https://user:${SECRET}@[bad`,
            signer: `0x${'1'.repeat(64)}`,
          }),
      ),
      thrown(() =>
        createRedisStore({ url: `redis://:${SECRET}@localhost:1`, commandTimeoutMs: -1 }),
      ),
    ];
    for (const error of errors) {
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect(String((error as Error).message)).not.toContain('do-not-echo');
    }
  });

  it.each([
    [
      'MetadataRefreshClient',
      () =>
        new MetadataRefreshClient({
          environment: 'sandbox',
          signer: `0x${'1'.repeat(64)}`,
          maxRetries: -1,
        }),
      'maxRetries',
    ],
    [
      'ZkEvmMetadataClient',
      () =>
        new ZkEvmMetadataClient({ apiKey: SECRET, environment: 'sandbox', maxResponseBytes: 0 }),
      'maxResponseBytes',
    ],
    [
      'RefreshScheduler',
      () =>
        new RefreshScheduler({
          client: new MetadataRefreshClient({
            environment: 'sandbox',
            signer: `0x${'1'.repeat(64)}`,
          }),
          windowGuardMs: -1,
        }),
      'windowGuardMs',
    ],
    [
      'metadataApiSource',
      () => metadataApiSource({ baseUrl: 'https://x.test/', concurrency: 0 }),
      'concurrency',
    ],
    [
      'zkEvmTarget',
      () =>
        zkEvmTarget({
          client: new ZkEvmMetadataClient({ apiKey: SECRET, environment: 'sandbox' }),
          metadata: async () => new Map(),
          applyDelayMs: -1,
        }),
      'applyDelayMs',
    ],
    [
      'createRefreshService',
      () =>
        createRefreshService({
          fetchMetadata: async () => ({ status: 404 }) as never,
          limits: { windowMs: 0 },
        }),
      'limits.windowMs',
    ],
    ['createZkEvmService', () => createZkEvmMock({ syncDelayMs: -1 }), 'syncDelayMs'],
  ])('%s names itself and the option', (owner, run, option) => {
    const error = thrown(run);
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect(error).toMatchObject({ owner, option });
    expect((error as Error).message.startsWith(`${owner}: ${option} `)).toBe(true);
  });
});

describe('a bad Metadata API URL', () => {
  // A base URL may carry a credential: in its user info, its path or its query.
  const urls = [
    `https://studio:${SECRET}@game.test/metadata?key=${SECRET}`,
    `https://game.test/${SECRET}/metadata#${SECRET}`,
    `game.test/${SECRET}/metadata`,
  ];

  it('is refused, named by its host only, by metadataApiSource and the reference service', () => {
    const owner = '0x1111111111111111111111111111111111111111';
    const address = '0x2222222222222222222222222222222222222222';
    for (const baseUrl of urls) {
      const errors = [
        thrown(() => metadataApiSource({ baseUrl })),
        thrown(() =>
          createRefreshService({
            owner,
            collections: [{ address, metadataApiUrl: baseUrl }],
            fetchMetadata: async () => ({ status: 404 }) as never,
          }),
        ),
      ];
      for (const error of errors) {
        const message = (error as Error).message;
        expect(message).toMatch(
          /metadataApiUrl (is not an absolute URL|\(on game\.test\) must not have a query or fragment)$/,
        );
        expect(message).not.toContain(SECRET);
        expect(message).not.toContain('studio');
      }
    }
  });
});
