/**
 * Input checks of the zkEVM pushes, run before anything is sent. Each throws
 * `InvalidRequestError` naming the item's index and the field in the caller's camelCase. The
 * limits come from `wire/zkevm/limits.ts` and the sizes are measured on the snake_case items
 * exactly as they will be sent ({@link wireByteLength}), so the client and the platform count
 * the same bytes.
 */

import { InvalidRequestError } from '../errors.js';
import { repeatsOf } from '../wire/token-id.js';
import { METADATA_FIELDS } from '../wire/zkevm/canonical.js';
import {
  MAX_ITEM_BYTES,
  MAX_LIST_BYTES,
  MIN_ITEMS_PER_REFRESH,
  uint256Problem,
  wireByteLength,
} from '../wire/zkevm/limits.js';
import {
  type Collection,
  type CollectionMetadata,
  collectionMetadataToWire,
  type MetadataPushFields,
  type NftAttribute,
  type NftMetadata,
  nftMetadataRefreshToWire,
  stackedMetadataRefreshToWire,
} from '../wire/zkevm/mappers.js';
import {
  type CollectionMetadataWire,
  DISPLAY_TYPES,
  type NftMetadataItemWire,
  nftMetadataItemSchema,
  type StackedMetadataItemWire,
  stackedMetadataItemSchema,
} from '../wire/zkevm/schemas.js';

export type { MetadataPushFields };

/** One NFT's new metadata for `refreshNftMetadata`; omitted fields are cleared (sent as null). */
export interface NftMetadataPush extends MetadataPushFields {
  /** The token id: a uint256 in decimal (`"42"`), no sign or leading zeros. */
  tokenId: string;
}

/** New metadata for every NFT of one stack; omitted fields are cleared (sent as null). */
export interface StackedMetadataPush extends MetadataPushFields {
  /** The stack's metadata id: a UUID, as read from one of its NFTs (`Nft.metadataId`). */
  metadataId: string;
}

// The seven fields are the wire's one list; the text ones are all but `attributes`.
const TEXT_FIELDS = METADATA_FIELDS.filter(
  (key): key is Exclude<(typeof METADATA_FIELDS)[number], 'attributes'> => key !== 'attributes',
);
const ATTRIBUTE_KEYS = ['traitType', 'value', 'displayType'] as const;

const show = (value: unknown) => {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
};

function fail(field: string, problem: string): never {
  throw new InvalidRequestError(`${field} ${problem}`);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// A misspelt key (`imageUrl`, `trait_type`) would otherwise be dropped and its field cleared.
function refuseUnknownKeys(
  value: Record<string, unknown>,
  known: readonly string[],
  field: string,
): void {
  const unknown = Object.keys(value).find((key) => !known.includes(key));
  if (unknown !== undefined) {
    fail(field, `has an unknown field ${show(unknown)}; the fields are ${known.join(', ')}`);
  }
}

function checkAttribute(value: unknown, field: string): NftAttribute {
  if (!isPlainObject(value)) fail(field, 'must be an object { traitType, value, displayType? }');
  refuseUnknownKeys(value, ATTRIBUTE_KEYS, field);
  if (typeof value.traitType !== 'string') fail(`${field}.traitType`, 'must be a string');
  const v = value.value;
  const valid =
    typeof v === 'string' ||
    typeof v === 'boolean' ||
    (typeof v === 'number' && Number.isFinite(v));
  if (!valid) fail(`${field}.value`, 'must be a string, a finite number or a boolean');
  const d = value.displayType;
  if (d !== undefined && d !== null && !(DISPLAY_TYPES as readonly unknown[]).includes(d)) {
    fail(`${field}.displayType`, `must be one of ${DISPLAY_TYPES.join(', ')} or null`);
  }
  return value as unknown as NftAttribute;
}

/** The seven fields of one item, omitted ones as null. */
function checkFields(item: Record<string, unknown>, field: string): NftMetadata {
  for (const key of TEXT_FIELDS) {
    const v = item[key];
    if (v !== undefined && v !== null && typeof v !== 'string') {
      fail(`${field}.${key}`, 'must be a string, null or omitted');
    }
  }
  const attributes = item.attributes;
  if (attributes !== undefined && attributes !== null && !Array.isArray(attributes)) {
    fail(`${field}.attributes`, 'must be an array, null or omitted');
  }
  const fields = Object.fromEntries(
    TEXT_FIELDS.map((key) => [key, (item[key] as string | null | undefined) ?? null]),
  ) as Omit<NftMetadata, 'attributes'>;
  return {
    ...fields,
    attributes: Array.isArray(attributes)
      ? attributes.map((a, i) => checkAttribute(a, `${field}.attributes[${i}]`))
      : null,
  };
}

function checkList(value: unknown, list: string, max: number): unknown[] {
  if (!Array.isArray(value)) fail(list, 'must be an array');
  if (value.length < MIN_ITEMS_PER_REFRESH)
    fail(list, `must hold at least ${MIN_ITEMS_PER_REFRESH} item`);
  if (value.length > max) {
    fail(
      list,
      // Only NFT pushes have a call that splits; stacked metadata has none.
      `holds ${value.length} items; one request takes at most ${max}${list === 'nfts' ? ' (refreshNftsMetadata splits any number)' : ''}`,
    );
  }
  return value;
}

function checkItemBytes(wire: unknown, field: string): void {
  const bytes = wireByteLength(wire);
  if (bytes > MAX_ITEM_BYTES) {
    fail(field, `is ${bytes} bytes as sent; one item may be at most ${MAX_ITEM_BYTES}`);
  }
}

/** The wire schema as a last guard: whatever it still refuses is named by its path. */
function guard(
  schema: typeof nftMetadataItemSchema | typeof stackedMetadataItemSchema,
  wire: unknown,
  field: string,
): void {
  const parsed = schema.safeParse(wire);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    fail(
      `${field}${issue?.path.length ? `.${issue.path.join('.')}` : ''}:`,
      issue?.message ?? 'is invalid',
    );
  }
}

function duplicateCheck(ids: readonly string[], list: string, key: string): void {
  const [repeat] = repeatsOf(ids);
  if (repeat !== undefined) {
    const { id, index, first } = repeat;
    fail(`${list}[${index}].${key}`, `${show(id)} repeats ${list}[${first}]; name each once`);
  }
}

/**
 * Checks `nfts` and maps it to the `nft_metadata` items to send, omitted fields as null. `max`
 * is the number of items one call takes (`Infinity` where the call splits).
 */
export function toNftWireItems(value: unknown, max: number, list = 'nfts'): NftMetadataItemWire[] {
  const items = checkList(value, list, max).map((raw, index) => {
    const field = `${list}[${index}]`;
    if (!isPlainObject(raw)) fail(field, 'must be an object { tokenId, name, ... }');
    refuseUnknownKeys(raw, ['tokenId', ...METADATA_FIELDS], field);
    const problem = uint256Problem(raw.tokenId);
    if (problem) fail(`${field}.tokenId`, `${problem}, got ${show(raw.tokenId)}`);
    const wire = nftMetadataRefreshToWire({
      tokenId: raw.tokenId as string,
      ...checkFields(raw, field),
    });
    checkItemBytes(wire, `${field} (tokenId ${raw.tokenId as string})`);
    guard(nftMetadataItemSchema, wire, field);
    return wire;
  });
  duplicateCheck(
    items.map((item) => item.token_id),
    list,
    'tokenId',
  );
  return items;
}

/** Checks `metadata` and maps it to the `metadata` items to send, omitted fields as null. */
export function toStackedWireItems(value: unknown, max: number): StackedMetadataItemWire[] {
  const list = 'metadata';
  const items = checkList(value, list, max).map((raw, index) => {
    const field = `${list}[${index}]`;
    if (!isPlainObject(raw)) fail(field, 'must be an object { metadataId, name, ... }');
    refuseUnknownKeys(raw, ['metadataId', ...METADATA_FIELDS], field);
    const id = stackedMetadataItemSchema.shape.metadata_id.safeParse(raw.metadataId);
    if (!id.success) fail(`${field}.metadataId`, `must be a UUID, got ${show(raw.metadataId)}`);
    const wire = stackedMetadataRefreshToWire({ metadataId: id.data, ...checkFields(raw, field) });
    checkItemBytes(wire, `${field} (metadataId ${id.data})`);
    guard(stackedMetadataItemSchema, wire, field);
    return wire;
  });
  // UUIDs compare case-insensitively, as the platform does.
  duplicateCheck(
    items.map((item) => item.metadata_id.toLowerCase()),
    list,
    'metadataId',
  );
  return items;
}

/** Refuses a list that one request cannot carry: over {@link MAX_LIST_BYTES} as sent. */
export function assertListBytes(items: readonly unknown[], list: string): void {
  const bytes = wireByteLength(items);
  if (bytes > MAX_LIST_BYTES) {
    fail(
      list,
      `is ${bytes} bytes as sent; one request may carry at most ${MAX_LIST_BYTES}${list === 'nfts' ? ' (refreshNftsMetadata splits by size)' : ''}`,
    );
  }
}

const COLLECTION_FIELDS = [
  'name',
  'symbol',
  'description',
  'image',
  'externalLink',
  'contractUri',
  'baseUri',
] as const satisfies ReadonlyArray<keyof CollectionMetadata>;
/** A `Collection`'s fields that are not its metadata: taken (for a read-modify-write), never sent. */
const COLLECTION_READ_ONLY = [
  'chain',
  'contractAddress',
  'contractType',
  'verificationStatus',
  'indexedAt',
  'updatedAt',
  'metadataSyncedAt',
] as const satisfies ReadonlyArray<Exclude<keyof Collection, keyof CollectionMetadata>>;

/**
 * Checks a collection's new metadata and maps it to `collection_metadata`. Unlike an NFT push,
 * **every field must be given** (null to clear it): the platform takes the whole metadata, and a
 * field left out by mistake would otherwise clear it, `baseUri` (where every NFT's metadata
 * lives) included. A whole `Collection` (as `getCollection` reads it) is taken: its read-only
 * fields are not sent. No size is checked: the platform states no limit for it.
 */
export function toCollectionMetadataWire(value: unknown): CollectionMetadataWire {
  const field = 'collectionMetadata';
  if (!isPlainObject(value)) {
    fail(field, `must be an object { ${COLLECTION_FIELDS.join(', ')} }`);
  }
  refuseUnknownKeys(value, [...COLLECTION_FIELDS, ...COLLECTION_READ_ONLY], field);
  for (const key of COLLECTION_FIELDS) {
    const v = value[key];
    if (v === undefined) {
      fail(
        `${field}.${key}`,
        'is required: give every field, null to clear it (a field left out would be cleared)',
      );
    }
    if (v !== null && typeof v !== 'string') fail(`${field}.${key}`, 'must be a string or null');
  }
  return collectionMetadataToWire(value as unknown as CollectionMetadata);
}
