import fc from 'fast-check';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { type ImxAuthHeaders, imxAuthHeaders } from '../../../src/auth/headers.js';
import type { VerifyImxSignatureParameters } from '../../../src/auth/verify.js';
import { encodeCursor } from '../../../src/engine/cursor.js';
import { createRefreshService, type RefreshService } from '../../../src/engine/imx/service.js';
import { MAX_BODY_BYTES } from '../../../src/engine/request.js';
import type { ServiceRequest, ServiceResponse } from '../../../src/engine/types.js';
import { RATE_LIMIT_HEADERS } from '../../../src/wire/rate-limit.js';
import {
  createRefreshResponseSchema,
  refreshErrorsPageWireSchema,
  refreshListPageWireSchema,
  refreshWireSchema,
} from '../../../src/wire/schemas.js';
import { COLLECTION, OWNER, PRIVATE_KEY } from '../../support/fixtures.js';

vi.mock('../../../src/auth/verify.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../../src/auth/verify.js')>();
  // Recovering a signature costs ~4 ms; it is a pure function, so repeated inputs reuse the verdict.
  const verdicts = new Map<string, boolean>();
  return {
    ...actual,
    verifyImxSignature(input: VerifyImxSignatureParameters): boolean {
      const key = JSON.stringify([input.address, input.timestamp, input.signature]);
      let verdict = verdicts.get(key);
      if (verdict === undefined) {
        verdict = actual.verifyImxSignature(input);
        verdicts.set(key, verdict);
      }
      return verdict;
    },
  };
});

const NOW = Date.parse('2022-09-06T02:30:00Z');
const NOW_SECONDS = Math.floor(NOW / 1000);
const OTHER_KEY = `0x${'22'.repeat(32)}`;
const REFRESHES = '/v1/metadata-refreshes';
const SEEDED_IDS = ['seeded-running', 'seeded-done', 'seeded-empty'];
const UNKNOWN_COLLECTION = `0x${'cd'.repeat(20)}`;
const TEST_TIMEOUT_MS = 60_000;

const RUNS = {
  postBodies: 1_500,
  postFields: 2_000,
  paging: 1_500,
  auth: 2_000,
  methodsAndPaths: 4_000,
};

const assetWireSchema = z.object({
  token_address: z.string(),
  token_id: z.string(),
  metadata: z.record(z.string(), z.unknown()),
  updated_at: z.string(),
});

type HeaderRecord = Record<string, string | string[] | undefined>;
type Target = 'open' | 'strict';

interface Probe {
  target: Target;
  request: ServiceRequest;
}

interface Services {
  open: RefreshService;
  strict: RefreshService;
}

interface AuthSets {
  valid: ImxAuthHeaders;
  edge: ImxAuthHeaders;
  stale: ImxAuthHeaders;
  future: ImxAuthHeaders;
  otherSigner: ImxAuthHeaders;
  forged: ImxAuthHeaders;
}

let auth: AuthSets;

beforeAll(async () => {
  const sign = (key: string, timestamp: number) => imxAuthHeaders(key, { timestamp });
  const [valid, edge, stale, future, otherSigner] = await Promise.all([
    sign(PRIVATE_KEY, NOW_SECONDS),
    sign(PRIVATE_KEY, NOW_SECONDS - 300),
    sign(PRIVATE_KEY, NOW_SECONDS - 301),
    sign(PRIVATE_KEY, NOW_SECONDS + 86_400),
    sign(OTHER_KEY, NOW_SECONDS),
  ]);
  auth = {
    valid,
    edge,
    stale,
    future,
    otherSigner,
    forged: { ...valid, 'x-imx-eth-signature': otherSigner['x-imx-eth-signature'] },
  };
});

function seed(service: RefreshService): void {
  service.seedRefresh({
    collectionAddress: COLLECTION,
    refreshId: 'seeded-running',
    succeeded: 4,
    failed: 37,
    pending: 3,
  });
  service.seedRefresh({
    collectionAddress: COLLECTION,
    refreshId: 'seeded-done',
    startedAt: new Date(NOW - 60_000),
    succeeded: ['a', 'b'],
    failed: [
      { tokenId: 'x', errorCode: 'unable_to_retrieve_metadata' },
      { tokenId: 'y', errorCode: 'unable_to_decode_response', statusCode: 200, body: '[]' },
      { tokenId: 'z', statusCode: 500, body: 'boom' },
    ],
  });
  service.seedRefresh({
    collectionAddress: UNKNOWN_COLLECTION,
    refreshId: 'seeded-empty',
    startedAt: new Date(NOW - 120_000),
    succeeded: 1,
  });
}

async function createServices(): Promise<Services> {
  const fetchMetadata = async () => ({ status: 200, body: '{}' });
  const clock = { now: () => NOW };
  const ids = () => {
    let n = 0;
    return () => `refresh-${++n}`;
  };
  const open = createRefreshService({
    owner: OWNER,
    clock,
    generateId: ids(),
    fetchMetadata,
    limits: { refreshesPerHour: 1_000_000 },
  });
  const strict = createRefreshService({
    owner: OWNER,
    clock,
    generateId: ids(),
    fetchMetadata,
    collections: [
      { address: COLLECTION, metadataApiUrl: 'http://metadata.test/api', tokenIds: ['1', '2'] },
    ],
    limits: { refreshesPerHour: 3, tokensPerRefresh: 50 },
  });
  for (const service of [open, strict]) {
    seed(service);
    const response = await service.handle({
      method: 'POST',
      path: REFRESHES,
      headers: { ...auth.valid },
      body: JSON.stringify({ collection_address: COLLECTION, token_ids: ['1', '2'] }),
    });
    expect(response.status).toBe(202);
    await service.settled();
    expect(service.getTokenMetadata(COLLECTION, '1')?.metadata).toEqual({});
  }
  return { open, strict };
}

async function stopServices({ open, strict }: Services): Promise<void> {
  await Promise.all([open.settled(), strict.settled()]);
  await Promise.all([open.stop(), strict.stop()]);
}

type Route = 'list' | 'create' | 'refresh' | 'errors' | 'asset';

function routeOf(request: ServiceRequest): Route | undefined {
  const q = request.path.indexOf('?');
  const pathname = q === -1 ? request.path : request.path.slice(0, q);
  let segments: string[];
  try {
    segments = pathname
      .split('/')
      .filter((s) => s !== '')
      .map((s) => decodeURIComponent(s));
  } catch {
    return undefined;
  }
  const method = request.method.toUpperCase();
  const [v1, resource, id, sub, ...rest] = segments;
  if (v1 !== 'v1' || rest.length > 0) return undefined;
  if (resource === 'assets' && id !== undefined && sub !== undefined && method === 'GET') {
    return 'asset';
  }
  if (resource !== 'metadata-refreshes') return undefined;
  if (id === undefined) return method === 'GET' ? 'list' : method === 'POST' ? 'create' : undefined;
  if (method !== 'GET') return undefined;
  if (sub === undefined) return 'refresh';
  return sub === 'errors' ? 'errors' : undefined;
}

const SCHEMAS: Record<Route, z.ZodType> = {
  list: refreshListPageWireSchema,
  create: createRefreshResponseSchema,
  refresh: refreshWireSchema,
  errors: refreshErrorsPageWireSchema,
  asset: assetWireSchema,
};

function isErrorBody(body: unknown): boolean {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return false;
  const record = body as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  return (
    keys.length === 2 &&
    keys[0] === 'code' &&
    keys[1] === 'message' &&
    typeof record.code === 'string' &&
    typeof record.message === 'string'
  );
}

function violations(request: ServiceRequest, response: ServiceResponse): string[] {
  const { status } = response;
  if (!Number.isInteger(status) || status < 200) return [`status ${status}`];
  if (status >= 500) return [`status ${status}`];
  if (status >= 300) {
    return isErrorBody(response.body) ? [] : ['error body is not { code, message }'];
  }
  const route = routeOf(request);
  if (route === undefined) return [`${status} on a request that matches no route`];
  const problems: string[] = [];
  if (status !== (route === 'create' ? 202 : 200)) problems.push(`${status} on ${route}`);
  const parsed = SCHEMAS[route].safeParse(response.body);
  if (!parsed.success) problems.push(`${route} body: ${parsed.error.message}`);
  if (status === 202) {
    for (const name of Object.values(RATE_LIMIT_HEADERS)) {
      if (!/^\d+$/.test(response.headers[name] ?? '')) problems.push(`202 without ${name}`);
    }
  }
  return problems;
}

async function runProbes(arbitrary: fc.Arbitrary<Probe>, numRuns: number): Promise<void> {
  const services = await createServices();
  try {
    await fc.assert(
      fc.asyncProperty(arbitrary, async ({ target, request }) => {
        const response = await services[target].handle(request);
        const problems = violations(request, response);
        if (problems.length > 0) expect({ problems, response }).toEqual({ problems: [], response });
      }),
      { numRuns },
    );
  } finally {
    await stopServices(services);
  }
}

const codePoint = fc
  .oneof(
    fc.integer({ min: 0x20, max: 0x7e }),
    fc.integer({ min: 0, max: 0x1f }),
    fc.integer({ min: 0x80, max: 0xd7ff }),
    fc.integer({ min: 0xe000, max: 0x10ffff }),
  )
  .map((c) => String.fromCodePoint(c));
const unicodeString = (constraints: { minLength?: number; maxLength?: number } = {}) =>
  fc.string({ unit: codePoint, maxLength: 40, ...constraints });
const loneSurrogate = fc.constantFrom('\ud800', '\udbff', '\udc00', '\udfff');
const surrogateString = fc.string({ unit: fc.oneof(loneSurrogate, codePoint), maxLength: 20 });
const garbageString = fc.oneof(
  fc.string(),
  unicodeString(),
  surrogateString,
  fc.constantFrom('', ' ', 'null', 'undefined', '0', '-1', '\u0000', '%', '%E0%A4%A'),
);
const hexString = (length: number) =>
  fc
    .array(fc.constantFrom(...'0123456789abcdefABCDEF'), { minLength: length, maxLength: length })
    .map((chars) => chars.join(''));
const validAddress = fc.oneof(
  fc.constantFrom(COLLECTION, COLLECTION.toUpperCase().replace('0X', '0x'), UNKNOWN_COLLECTION),
  hexString(40).map((hex) => `0x${hex}`),
);

const headerNameCase = fc.constantFrom(
  (name: string) => name,
  (name: string) => name.toUpperCase(),
  (name: string) =>
    name.replace(/(^|-)([a-z])/g, (_, dash: string, c: string) => dash + c.toUpperCase()),
);

function renameHeaders(
  headers: Record<string, string>,
  rename: (name: string) => string,
  asArrays: boolean,
): HeaderRecord {
  const out: HeaderRecord = {};
  for (const [name, value] of Object.entries(headers)) {
    out[rename(name)] = asArrays ? [value] : value;
  }
  return out;
}

const validAuth = fc
  .tuple(fc.constantFrom<keyof AuthSets>('valid', 'edge'), headerNameCase, fc.boolean())
  .map(([key, rename, asArrays]) => renameHeaders({ ...auth[key] }, rename, asArrays));

const AUTH_NAMES = ['x-imx-eth-address', 'x-imx-eth-signature', 'x-imx-eth-timestamp'] as const;

const partialAuth = fc
  .subarray([...AUTH_NAMES], { maxLength: 2 })
  .map((names) => Object.fromEntries(names.map((name) => [name, auth.valid[name]])));

const garbageAuthValue = (name: (typeof AUTH_NAMES)[number]) => {
  const value = {
    'x-imx-eth-address': fc.oneof(
      garbageString,
      hexString(40).map((hex) => `0x${hex}`),
      fc.constant(OWNER),
    ),
    'x-imx-eth-signature': fc.oneof(
      garbageString,
      hexString(130).map((hex) => `0x${hex}`),
      fc.constant(`0x${'00'.repeat(65)}`),
    ),
    'x-imx-eth-timestamp': fc.oneof(
      garbageString,
      fc.integer().map(String),
      fc.double().map(String),
      fc.constantFrom(String(NOW_SECONDS), `${NOW_SECONDS}.0`, ` ${NOW_SECONDS}`, '9'.repeat(16)),
    ),
  }[name];
  return fc.oneof(value, fc.array(value, { maxLength: 2 }), fc.constant(undefined));
};

const garbageAuth = fc
  .record(
    {
      'x-imx-eth-address': garbageAuthValue('x-imx-eth-address'),
      'x-imx-eth-signature': garbageAuthValue('x-imx-eth-signature'),
      'x-imx-eth-timestamp': garbageAuthValue('x-imx-eth-timestamp'),
    },
    { requiredKeys: [] },
  )
  .map((headers): HeaderRecord => headers);

const anyAuth = fc.oneof(
  { arbitrary: fc.constant<HeaderRecord>({}), weight: 3 },
  { arbitrary: validAuth, weight: 1 },
  {
    arbitrary: fc
      .constantFrom<keyof AuthSets>('stale', 'future', 'otherSigner', 'forged')
      .map((key): HeaderRecord => ({ ...auth[key] })),
    weight: 1,
  },
  { arbitrary: partialAuth, weight: 3 },
  { arbitrary: garbageAuth, weight: 5 },
);

const mostlyValidAuth = fc.oneof(
  { arbitrary: validAuth, weight: 9 },
  { arbitrary: anyAuth, weight: 1 },
);

const extraHeaders = fc.dictionary(
  fc.constantFrom('content-type', 'accept', 'x-forwarded-for', 'x-imx-eth-extra', 'cookie'),
  fc.oneof(garbageString, fc.array(garbageString, { maxLength: 2 })),
  { maxKeys: 2 },
);

const withExtraHeaders = (headers: fc.Arbitrary<HeaderRecord>) =>
  fc.tuple(headers, extraHeaders).map(([h, extra]): HeaderRecord => ({ ...extra, ...h }));

const target = fc.constantFrom<Target>('open', 'strict');

const safeId = fc.oneof(
  fc.nat().map(String),
  fc.string({ minLength: 1, maxLength: 12 }),
  unicodeString({ minLength: 1, maxLength: 12 }),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 6 }),
);
const hugeId = fc
  .tuple(
    fc.integer({ min: 1_000, max: 100_000 }),
    fc.constantFrom('7', 'z', 'é', '語', '🦄', '\u0000', '%', '/', ' ', '"'),
  )
  .map(([length, unit]) => unit.repeat(length));
const tokenId = fc.oneof(
  { arbitrary: safeId, weight: 8 },
  { arbitrary: hugeId, weight: 1 },
  { arbitrary: surrogateString.filter((s) => s.length > 0), weight: 1 },
);

const nestedArray = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: 'small' },
    fc.string(),
    fc.integer(),
    fc.array(tie('node'), { maxLength: 3 }),
  ),
})).node;

const wrongType = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.object({ maxDepth: 2 }),
  fc.array(nestedArray, { minLength: 1, maxLength: 3 }).map((items) => [items]),
  fc.array(fc.anything({ maxDepth: 2 }), { maxLength: 4 }),
);

const collectionField = fc.oneof(
  { arbitrary: validAddress, weight: 6 },
  { arbitrary: wrongType, weight: 3 },
  { arbitrary: garbageString, weight: 2 },
  {
    arbitrary: fc.oneof(
      hexString(39).map((hex) => `0x${hex}`),
      hexString(41).map((hex) => `0x${hex}`),
      hexString(40),
      hexString(40).map((hex) => `0X${hex}`),
      hexString(40).map((hex) => ` 0x${hex}`),
      hexString(40).map((hex) => `0x${hex}\n`),
    ),
    weight: 2,
  },
);

const tokenIdsField = fc.oneof(
  { arbitrary: fc.array(tokenId, { minLength: 1, maxLength: 12 }), weight: 8 },
  { arbitrary: wrongType, weight: 3 },
  {
    arbitrary: fc.oneof(
      fc.constant([]),
      fc.array(fc.oneof(safeId, fc.constant('')), { minLength: 1, maxLength: 4 }),
      fc.array(fc.oneof(safeId, wrongType), { minLength: 1, maxLength: 4 }),
      fc.array(fc.array(safeId, { maxLength: 2 }), { minLength: 1, maxLength: 3 }),
      safeId,
    ),
    weight: 3,
  },
  {
    arbitrary: fc
      .tuple(fc.integer({ min: 45, max: 55 }), fc.constantFrom(1, 20), fc.boolean())
      .map(([n, scale, duplicated]) =>
        Array.from({ length: n * scale * (duplicated ? 2 : 1) }, (_, i) =>
          String(duplicated ? i >> 1 : i),
        ),
      ),
    weight: 2,
  },
);

const refreshBodyObject = fc
  .tuple(
    fc.option(collectionField, { nil: undefined }),
    fc.option(tokenIdsField, { nil: undefined }),
    fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 2 }),
    fc.boolean(),
  )
  .map(([collection, tokenIds, extra, fieldsFirst]) => {
    const fields: Record<string, unknown> = {};
    if (collection !== undefined) fields.collection_address = collection;
    if (tokenIds !== undefined) fields.token_ids = tokenIds;
    return fieldsFirst ? { ...fields, ...extra } : { ...extra, ...fields };
  });

const validBodyText = fc
  .record({
    collection_address: validAddress,
    token_ids: fc.array(fc.nat().map(String), { minLength: 1, maxLength: 5 }),
  })
  .map((body) => JSON.stringify(body));

const malformedJson = fc
  .tuple(
    validBodyText,
    fc.nat(),
    fc.constantFrom('truncate', 'insert', 'delete', 'wrap'),
    unicodeString({ minLength: 1, maxLength: 3 }),
  )
  .map(([text, at, operation, chunk]) => {
    const i = at % (text.length + 1);
    if (operation === 'truncate') return text.slice(0, i);
    if (operation === 'insert') return text.slice(0, i) + chunk + text.slice(i);
    if (operation === 'delete') return text.slice(0, i) + text.slice(i + chunk.length);
    return `${chunk}${text}`;
  });

const encoder = new TextEncoder();
const asBytes = (text: string) => encoder.encode(text);
const OVERSIZED_TEXT = 'x'.repeat(MAX_BODY_BYTES + 1);
const OVERSIZED_BYTES = new Uint8Array(MAX_BODY_BYTES + 1).fill(0x7b);

const rawBody = fc.oneof(
  unicodeString({ maxLength: 200 }),
  fc.string({ maxLength: 200 }),
  fc.uint8Array({ maxLength: 256 }),
  malformedJson,
  malformedJson.map(asBytes),
  fc.json({ maxDepth: 3 }),
  fc.json({ maxDepth: 3 }).map(asBytes),
  validBodyText,
  validBodyText.map(asBytes),
  validBodyText.map((text) => new Uint8Array([0xef, 0xbb, 0xbf, ...asBytes(text)])),
  validBodyText.map((text) => `\ufeff${text}`),
  fc.constantFrom<string | Uint8Array | undefined>(
    undefined,
    '',
    new Uint8Array(0),
    ' ',
    'null',
    '[]',
    '{}',
    '""',
    '0',
    '\u0000',
    OVERSIZED_TEXT,
    OVERSIZED_BYTES,
  ),
);

const wellTypedBodyObject = fc.record({
  collection_address: validAddress,
  token_ids: fc.array(tokenId, { minLength: 1, maxLength: 12 }),
});

const typedBody = fc
  .tuple(
    fc.oneof(
      { arbitrary: wellTypedBodyObject, weight: 2 },
      { arbitrary: refreshBodyObject, weight: 3 },
    ),
    fc.boolean(),
  )
  .map(([body, bytes]) => {
    const text = JSON.stringify(body);
    return bytes ? asBytes(text) : text;
  });

const pageSize = fc.oneof(
  { arbitrary: fc.integer({ min: 1, max: 1000 }).map(String), weight: 6 },
  fc.integer().map(String),
  fc.double().map(String),
  fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }).map(String),
  fc.constantFrom('0', '-1', '-0', '1e3', '1.5', '1000', '1001', '0001000', '00000001', ' 5', '5 '),
  fc.constantFrom('0x10', '', 'NaN', 'Infinity', '9999999', '10000000', '١٢', '５'),
  garbageString,
);

const base64url = (text: string) => Buffer.from(text, 'utf8').toString('base64url');
const cursorFieldValue = fc.oneof(
  fc.string(),
  unicodeString(),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  fc.constantFrom('seeded-running', 'seeded-done', '2022-09-06T02:30:00.000Z', ''),
);

const iso = (ms: number) => new Date(ms).toISOString();
const SERVED_CURSORS = [
  encodeCursor({ started_at: iso(NOW), refresh_id: 'seeded-running' }),
  encodeCursor({ started_at: iso(NOW - 60_000), refresh_id: 'seeded-done' }),
  encodeCursor({ created_at: iso(NOW), token_id: 'f13' }),
  encodeCursor({ created_at: iso(NOW - 60_000), token_id: 'x' }),
];

const cursor = fc.oneof(
  garbageString,
  fc.constantFrom(...SERVED_CURSORS),
  fc.json({ maxDepth: 2 }).map(base64url),
  fc
    .record({ created_at: cursorFieldValue, token_id: cursorFieldValue })
    .map((key) => encodeCursor(key)),
  fc
    .record({ started_at: cursorFieldValue, refresh_id: cursorFieldValue })
    .map((key) => encodeCursor(key)),
  fc
    .dictionary(
      fc.constantFrom('created_at', 'token_id', 'started_at', 'refresh_id', 'x'),
      fc.oneof(cursorFieldValue, fc.integer(), fc.constant(null)),
    )
    .map((key) => base64url(JSON.stringify(key))),
  fc.constantFrom('A'.repeat(5_000), '====', 'e30', 'bnVsbA', 'W10', '-_-_'),
);

const refreshIdSegment = fc.oneof(
  fc.constantFrom(...SEEDED_IDS),
  fc.uuid(),
  safeId.map((id) => encodeURIComponent(id)),
);

function queryString(params: Record<string, string | undefined>, raw: boolean): string {
  const entries = Object.entries(params).filter(
    (entry): entry is [string, string] => entry[1] !== undefined,
  );
  if (entries.length === 0) return '';
  if (raw) return `?${entries.map(([k, v]) => `${k}=${v}`).join('&')}`;
  return `?${new URLSearchParams(entries).toString()}`;
}

const pagingProbe = fc
  .record({
    target,
    route: fc.oneof(
      fc.constant(REFRESHES),
      refreshIdSegment.map((id) => `${REFRESHES}/${id}/errors`),
      refreshIdSegment.map((id) => `${REFRESHES}/${id}`),
    ),
    pageSize: fc.option(pageSize, { nil: undefined }),
    cursor: fc.option(cursor, { nil: undefined }),
    collectionAddress: fc.option(fc.oneof(validAddress, garbageString), { nil: undefined }),
    form: fc.constantFrom('encoded', 'raw', 'record', 'search-params', 'record-arrays'),
    headers: withExtraHeaders(mostlyValidAuth),
  })
  .map(({ target, route, pageSize, cursor, collectionAddress, form, headers }): Probe => {
    const params = { page_size: pageSize, cursor, collection_address: collectionAddress };
    const request: ServiceRequest = { method: 'GET', path: route, headers };
    if (form === 'encoded' || form === 'raw') request.path += queryString(params, form === 'raw');
    else if (form === 'record') request.query = params;
    else if (form === 'record-arrays') {
      request.query = Object.fromEntries(
        Object.entries(params).map(([k, v]) => [k, v === undefined ? undefined : [v, 'ignored']]),
      );
    } else {
      const search = new URLSearchParams();
      for (const [k, v] of Object.entries(params)) if (v !== undefined) search.set(k, v);
      request.query = search;
    }
    return { target, request };
  });

const validMethod = fc.constantFrom('GET', 'POST', 'get', 'post', 'Post', 'gEt');
const garbageMethod = fc.oneof(
  fc.constantFrom('PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'TRACE', 'CONNECT', 'PROPFIND'),
  fc.constantFrom('', ' GET', 'GET ', 'G\u0000ET', 'POST\r\n', 'ǧet', 'ſ', 'ß'),
  garbageString,
);

const PATH_PIECES = [
  'v1',
  'metadata-refreshes',
  'errors',
  'assets',
  COLLECTION,
  '1',
  ...SEEDED_IDS,
  '%E0%A4%A',
  '%',
  '%%',
  '%zz',
  '%C0%AF',
  '%ED%A0%80',
  '%FF',
  '%2F',
  '%00',
  '%76%31',
  '..',
  '.',
  '',
];

const garbagePath = fc.oneof(
  fc
    .array(fc.oneof(fc.string(), unicodeString().map(encodeURIComponent)), { maxLength: 5 })
    .map((segments) => `/${segments.join('/')}`),
  unicodeString({ maxLength: 60 }),
  surrogateString.map((s) => `/v1/metadata-refreshes/${s}`),
  fc
    .array(fc.oneof(fc.constantFrom(...PATH_PIECES), garbageString), { maxLength: 6 })
    .map((pieces) => `/${pieces.join('/')}`),
  fc
    .tuple(
      fc.array(fc.constantFrom(...PATH_PIECES), { maxLength: 5 }),
      fc.option(garbageString, { nil: undefined }),
    )
    .map(([pieces, query]) => `/${pieces.join('/')}${query === undefined ? '' : `?${query}`}`),
  fc.constantFrom(
    REFRESHES,
    `${REFRESHES}/`,
    `//v1//metadata-refreshes//`,
    `${REFRESHES}?`,
    `${REFRESHES}/seeded-done/errors/extra`,
    `${REFRESHES}/seeded-done/nope`,
    `/v1/assets/${COLLECTION}/1`,
    `/v1/assets/${COLLECTION}/1/extra`,
    '/v1/assets',
    '/V1/METADATA-REFRESHES',
    '/%E0%A4%A',
    `${REFRESHES}/%E0%A4%A/errors`,
    `/v1/metadata-refreshes%2Fseeded-done`,
    '*',
    'http://imx.test/v1/metadata-refreshes',
  ),
);

const anyBody = fc.oneof(
  { arbitrary: fc.constant(undefined), weight: 2 },
  { arbitrary: rawBody, weight: 1 },
  { arbitrary: typedBody, weight: 1 },
);

describe('createRefreshService().handle under generated requests', () => {
  beforeAll(() => {
    expect(Object.values(RUNS).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(10_000);
  });

  it(
    'answers arbitrary strings, bytes and malformed JSON posted as the body',
    async () => {
      await runProbes(
        fc
          .record({ target, body: rawBody, headers: withExtraHeaders(mostlyValidAuth) })
          .map(({ target, body, headers }) => ({
            target,
            request: { method: 'POST', path: REFRESHES, headers, body },
          })),
        RUNS.postBodies,
      );
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'answers wrong types, huge and unicode ids in collection_address and token_ids',
    async () => {
      await runProbes(
        fc
          .record({
            target,
            body: typedBody,
            headers: withExtraHeaders(mostlyValidAuth),
            method: fc.constantFrom('POST', 'post'),
          })
          .map(({ target, body, headers, method }) => ({
            target,
            request: { method, path: REFRESHES, headers, body },
          })),
        RUNS.postFields,
      );
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'answers bad cursors and page sizes on the GET routes',
    async () => {
      const services = await createServices();
      const served = await Promise.all(
        [
          `${REFRESHES}?page_size=1`,
          `${REFRESHES}?page_size=3&collection_address=${COLLECTION}`,
          `${REFRESHES}/seeded-running/errors?page_size=5`,
          `${REFRESHES}/seeded-done/errors?page_size=1`,
        ].map(async (path) => {
          const response = await services.open.handle({ method: 'GET', path, headers: auth.valid });
          return (response.body as { cursor: string }).cursor;
        }),
      );
      await stopServices(services);
      expect(served).toEqual(SERVED_CURSORS);
      await runProbes(pagingProbe, RUNS.paging);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'answers missing, garbage, stale and valid x-imx-eth-* headers on every route',
    async () => {
      await runProbes(
        fc
          .record({
            target,
            route: fc.constantFrom(
              { method: 'POST', path: REFRESHES },
              { method: 'post', path: REFRESHES },
              { method: 'GET', path: REFRESHES },
              { method: 'GET', path: `${REFRESHES}?page_size=2` },
              { method: 'GET', path: `${REFRESHES}/seeded-done` },
              { method: 'get', path: `${REFRESHES}/seeded-running/errors` },
              { method: 'GET', path: `${REFRESHES}/unknown` },
              { method: 'GET', path: `/v1/assets/${COLLECTION}/2` },
            ),
            headers: withExtraHeaders(anyAuth),
            body: fc.oneof(validBodyText, typedBody),
          })
          .map(({ target, route: { method, path }, headers, body }) => ({
            target,
            request: { method, path, headers, body },
          })),
        RUNS.auth,
      );
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'answers wrong and garbage methods on arbitrary paths',
    async () => {
      await runProbes(
        fc
          .record({
            target,
            method: fc.oneof(validMethod, garbageMethod),
            path: garbagePath,
            headers: fc.oneof(
              { arbitrary: withExtraHeaders(anyAuth), weight: 4 },
              { arbitrary: validAuth, weight: 1 },
            ),
            body: anyBody,
          })
          .map(({ target, method, path, headers, body }) => ({
            target,
            request: { method, path, headers, body },
          })),
        RUNS.methodsAndPaths,
      );
    },
    TEST_TIMEOUT_MS,
  );
});
