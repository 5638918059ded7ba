/**
 * Zod schemas of the zkEVM metadata refresh wire shapes, in the API's snake_case. Request
 * schemas are strict (unknown keys refused, every limit checked): the engine validates input
 * with them and a client can check before sending. Response schemas are loose: a client reads
 * what it needs and lets fields the platform adds pass.
 */
import { z } from 'zod';
import {
  MAX_ITEM_BYTES,
  MAX_LIST_BYTES,
  MAX_NFTS_PER_REFRESH,
  MAX_STACKED_METADATA_PER_REFRESH,
  MIN_ITEMS_PER_REFRESH,
  uint256Problem,
  wireByteLength,
} from './limits.js';

/** The attribute display types the platform knows. */
export const DISPLAY_TYPES = ['number', 'boost_percentage', 'boost_number', 'date'] as const;

/** The seven metadata keys every refresh item must carry (each may be null). */
export const METADATA_KEYS = [
  'name',
  'description',
  'image',
  'external_url',
  'animation_url',
  'youtube_url',
  'attributes',
] as const;

/** The error codes the platform's error bodies carry. */
export const ZKEVM_ERROR_CODES = [
  'VALIDATION_ERROR',
  'UNAUTHORISED_REQUEST',
  'AUTHENTICATION_ERROR',
  'RESOURCE_NOT_FOUND',
  'TOO_MANY_REQUESTS_ERROR',
  'INTERNAL_SERVER_ERROR',
] as const;

/** A metadata id: a UUID (any case; the platform compares them case-insensitively). */
export const METADATA_ID_PATTERN =
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const UUID_PATTERN = METADATA_ID_PATTERN;

/** A missing key and a wrong type get different messages: null is the way to say "none". */
const requiredError = (key: string, expected: string) => (issue: { input: unknown }) =>
  issue.input === undefined ? `${key} is required (null for none)` : `${key} must be ${expected}`;

const nullableText = (key: string) =>
  z.string({ error: requiredError(key, 'a string or null') }).nullable();

/** One attribute of an NFT's metadata, as a refresh sends it. */
export const attributeRequestSchema = z.strictObject({
  trait_type: z.string({ error: 'trait_type must be a string' }),
  value: z.union([z.string(), z.number(), z.boolean()], {
    error: 'value must be a string, a number or a boolean',
  }),
  display_type: z
    .enum(DISPLAY_TYPES, { error: `display_type must be one of ${DISPLAY_TYPES.join(', ')}` })
    .nullish(),
});

/** The seven metadata fields of a refresh item, all required, each nullable. */
const metadataFieldsShape = {
  name: nullableText('name'),
  description: nullableText('description'),
  image: nullableText('image'),
  external_url: nullableText('external_url'),
  animation_url: nullableText('animation_url'),
  youtube_url: nullableText('youtube_url'),
  attributes: z
    .array(attributeRequestSchema, { error: requiredError('attributes', 'an array or null') })
    .nullable(),
};

const withinItemBytes = (item: unknown) => wireByteLength(item) <= MAX_ITEM_BYTES;
const itemTooBig = `must be at most ${MAX_ITEM_BYTES} bytes as JSON`;

/** One item of `nft_metadata`: a token id and its full metadata. */
export const nftMetadataItemSchema = z
  .strictObject({
    token_id: z.string({ error: 'token_id must be a string' }).check((ctx) => {
      const problem = uint256Problem(ctx.value);
      if (problem)
        ctx.issues.push({ code: 'custom', message: `token_id ${problem}`, input: ctx.value });
    }),
    ...metadataFieldsShape,
  })
  .refine(withinItemBytes, { message: itemTooBig });

/** One item of `metadata`: a stacked metadata id and its full metadata. */
export const stackedMetadataItemSchema = z
  .strictObject({
    metadata_id: z
      .string({ error: 'metadata_id must be a string' })
      .regex(UUID_PATTERN, 'metadata_id must be a UUID'),
    ...metadataFieldsShape,
  })
  .refine(withinItemBytes, { message: itemTooBig });

const listWithin = (max: number, key: string) => ({
  min: [MIN_ITEMS_PER_REFRESH, `${key} must hold at least ${MIN_ITEMS_PER_REFRESH} item`] as const,
  max: [max, `${key} must hold at most ${max} items`] as const,
  bytes: `${key} must be at most ${MAX_LIST_BYTES} bytes as JSON`,
});

function refreshList<T extends z.ZodType>(item: T, key: string, max: number) {
  const rule = listWithin(max, key);
  return z
    .array(item, { error: `${key} is required and must be an array` })
    .min(...rule.min)
    .max(...rule.max)
    .refine((list) => wireByteLength(list) <= MAX_LIST_BYTES, { message: rule.bytes });
}

/** Body of `POST …/nfts/refresh-metadata`. */
export const refreshNftMetadataRequestSchema = z.strictObject({
  nft_metadata: refreshList(nftMetadataItemSchema, 'nft_metadata', MAX_NFTS_PER_REFRESH),
});

/** Body of `POST …/metadata/refresh-metadata`. */
export const refreshStackedMetadataRequestSchema = z.strictObject({
  metadata: refreshList(stackedMetadataItemSchema, 'metadata', MAX_STACKED_METADATA_PER_REFRESH),
});

/** 202 body of both refresh operations: the rate-limit headers repeated as strings. */
export const rateLimitResultSchema = z.looseObject({
  imx_refreshes_limit: z.string(),
  imx_refresh_limit_reset: z.string(),
  imx_remaining_refreshes: z.string(),
  retry_after: z.string(),
});

/** Body of every error answer. `code` is open: the platform may add codes. */
export const zkEvmErrorBodySchema = z.looseObject({
  message: z.string(),
  link: z.string(),
  trace_id: z.string(),
  code: z.string(),
  details: z.record(z.string(), z.unknown()).nullish(),
});

/** One attribute as an NFT carries it (read tolerantly). */
export const attributeSchema = z.looseObject({
  trait_type: z.string(),
  value: z.union([z.string(), z.number(), z.boolean()]),
  display_type: z.string().nullish(),
});

const readText = z.string().nullish();

/** The chain an NFT lives on. */
export const chainSchema = z.looseObject({ id: z.string(), name: z.string() });

/** An NFT as `GetNFT` and `ListNFTs` return it. */
export const nftSchema = z.looseObject({
  chain: chainSchema,
  token_id: z.string(),
  contract_address: z.string(),
  contract_type: z.string(),
  indexed_at: z.string(),
  updated_at: z.string(),
  metadata_synced_at: readText,
  metadata_id: readText,
  name: readText,
  description: readText,
  image: readText,
  external_link: readText,
  external_url: readText,
  animation_url: readText,
  youtube_url: readText,
  attributes: z.array(attributeSchema).nullish(),
  total_supply: readText,
});

/** 200 body of `GetNFT`. */
export const getNftResultSchema = z.looseObject({ result: nftSchema });

/** The paging part of a list: opaque cursors, null at either end. */
export const pageSchema = z.looseObject({
  previous_cursor: readText,
  next_cursor: readText,
});

/** 200 body of `ListNFTs`. */
export const listNftsResultSchema = z.looseObject({
  result: z.array(nftSchema),
  page: pageSchema,
});

/** The seven keys of a collection's metadata (`CollectionMetadata`), all required, each nullable. */
export const COLLECTION_METADATA_KEYS = [
  'name',
  'symbol',
  'description',
  'image',
  'external_link',
  'contract_uri',
  'base_uri',
] as const;

/** `collection_metadata` as `RefreshCollectionMetadata` takes it: the seven keys, nothing else. */
export const collectionMetadataRequestSchema = z.strictObject({
  name: nullableText('name'),
  symbol: nullableText('symbol'),
  description: nullableText('description'),
  image: nullableText('image'),
  external_link: nullableText('external_link'),
  contract_uri: nullableText('contract_uri'),
  base_uri: nullableText('base_uri'),
});

/** Body of `POST /v1/chains/{chain_name}/collections/{contract_address}/refresh-metadata`. */
export const refreshCollectionMetadataRequestSchema = z.strictObject({
  collection_metadata: collectionMetadataRequestSchema,
});

/** A collection's metadata as read (tolerantly: a missing key reads as null). */
export const collectionMetadataSchema = z.looseObject({
  name: readText,
  symbol: readText,
  description: readText,
  image: readText,
  external_link: readText,
  contract_uri: readText,
  base_uri: readText,
});

/** 200 body of `RefreshCollectionMetadata`: what the platform took. */
export const refreshCollectionMetadataResultSchema = z.looseObject({
  contract_address: z.string(),
  chain: chainSchema,
  collection_metadata: collectionMetadataSchema,
});

/** A collection as `GetCollection` returns it. */
export const collectionSchema = z.looseObject({
  chain: chainSchema,
  contract_address: z.string(),
  contract_type: z.string(),
  name: readText,
  symbol: readText,
  description: readText,
  image: readText,
  external_link: readText,
  contract_uri: readText,
  // Required by the OpenAPI file without a definition: read as contract_uri's other name.
  metadata_uri: readText,
  base_uri: readText,
  verification_status: z.string(),
  indexed_at: z.string(),
  updated_at: z.string(),
  metadata_synced_at: readText,
});

/** 200 body of `GetCollection`. */
export const getCollectionResultSchema = z.looseObject({ result: collectionSchema });

/** One stacked metadata (`Metadata`) as `GetMetadata` and `ListMetadata` return it. */
export const stackedMetadataSchema = z.looseObject({
  id: z.string(),
  chain: chainSchema,
  contract_address: z.string(),
  created_at: z.string(),
  updated_at: readText,
  name: readText,
  description: readText,
  image: readText,
  external_link: readText,
  external_url: readText,
  animation_url: readText,
  youtube_url: readText,
  attributes: z.array(attributeSchema).nullish(),
});

/** 200 body of `GetMetadata`. */
export const getMetadataResultSchema = z.looseObject({ result: stackedMetadataSchema });

/** 200 body of `ListMetadata`. */
export const listMetadataResultSchema = z.looseObject({
  result: z.array(stackedMetadataSchema),
  page: pageSchema,
});

/** One attribute as a refresh sends it. */
export type AttributeWire = z.output<typeof attributeRequestSchema>;
/** One `nft_metadata` item as sent. */
export type NftMetadataItemWire = z.output<typeof nftMetadataItemSchema>;
/** One `metadata` item as sent. */
export type StackedMetadataItemWire = z.output<typeof stackedMetadataItemSchema>;
/** The seven metadata fields as sent. */
export type MetadataFieldsWire = Omit<NftMetadataItemWire, 'token_id'>;
/** 202 body of a refresh. */
export type RateLimitResultWire = z.output<typeof rateLimitResultSchema>;
/** An error body. */
export type ZkEvmErrorBodyWire = z.output<typeof zkEvmErrorBodySchema>;
/** A documented error code. */
export type ZkEvmErrorCode = (typeof ZKEVM_ERROR_CODES)[number];
/** An NFT as read. */
export type NftWire = z.output<typeof nftSchema>;
/** A collection's metadata as sent. */
export type CollectionMetadataWire = z.output<typeof collectionMetadataRequestSchema>;
/** A collection as read. */
export type CollectionWire = z.output<typeof collectionSchema>;
/** A stacked metadata as read. */
export type StackedMetadataWire = z.output<typeof stackedMetadataSchema>;
