/**
 * camelCase forms of the zkEVM wire shapes and pure mappers both ways: a client takes camelCase
 * input and sends snake_case; it reads snake_case NFTs and answers camelCase.
 */
import {
  type AttributeWire,
  type CollectionMetadataWire,
  type CollectionWire,
  METADATA_KEYS,
  type MetadataFieldsWire,
  type NftMetadataItemWire,
  type NftWire,
  nftMetadataItemSchema,
  type StackedMetadataItemWire,
  type StackedMetadataWire,
  type ZkEvmErrorBodyWire,
} from './schemas.js';

/** An attribute display type the platform knows. */
export type DisplayType = 'number' | 'boost_percentage' | 'boost_number' | 'date';

/** One attribute of an NFT's metadata. */
export interface NftAttribute {
  /** The trait's name, e.g. `Level`. */
  traitType: string;
  /** The trait's value. */
  value: string | number | boolean;
  /** How marketplaces show a numeric trait; absent or null for plain text. */
  displayType?: DisplayType | null | undefined;
}

/** The seven metadata fields; all are required and null means "none". */
export interface NftMetadata {
  /** The NFT's name. */
  name: string | null;
  /** Its description. */
  description: string | null;
  /** URL of its image. */
  image: string | null;
  /** URL of a page about it. */
  externalUrl: string | null;
  /** URL of an animation. */
  animationUrl: string | null;
  /** URL of a YouTube video. */
  youtubeUrl: string | null;
  /** Its traits, or null for none. */
  attributes: NftAttribute[] | null;
}

/**
 * The metadata of one push (or of a minted test NFT), every field optional. **Every field you
 * omit from a push is sent as `null` and clears that field on the platform**: a push replaces
 * the NFT's whole metadata, it does not merge.
 */
export type MetadataPushFields = { [K in keyof NftMetadata]?: NftMetadata[K] | undefined };

/** One NFT's new metadata, for the refresh by token id. */
export interface NftMetadataRefresh extends NftMetadata {
  /** The token id: a uint256 in decimal. */
  tokenId: string;
}

/** New metadata for every NFT of one stack, for the refresh by metadata id. */
export interface StackedMetadataRefresh extends NftMetadata {
  /** The stack's metadata id (a UUID, read from one of its NFTs). */
  metadataId: string;
}

/** An NFT as the API reports it. */
export interface Nft {
  /** The chain's CAIP-2 id and name. */
  chain: { id: string; name: string };
  /** The token id. */
  tokenId: string;
  /** The collection's contract address. */
  contractAddress: string;
  /** `ERC721` or `ERC1155`. */
  contractType: string;
  /** When the platform first indexed it (ISO 8601). */
  indexedAt: string;
  /** When it was last updated (ISO 8601). */
  updatedAt: string;
  /** When its metadata was last synced: a refresh has taken effect once this moves. */
  metadataSyncedAt: string | null;
  /** The id of its (possibly stacked) metadata. */
  metadataId: string | null;
  /** The NFT's name. */
  name: string | null;
  /** Its description. */
  description: string | null;
  /** URL of its image. */
  image: string | null;
  /** URL of a page about it. */
  externalUrl: string | null;
  /** URL of an animation. */
  animationUrl: string | null;
  /** URL of a YouTube video. */
  youtubeUrl: string | null;
  /** Its traits. */
  attributes: NftAttribute[];
  /** Total supply (ERC1155), or null. */
  totalSupply: string | null;
}

/** An error body in camelCase. */
export interface ZkEvmApiError {
  /** The platform's code, e.g. `VALIDATION_ERROR`. */
  code: string;
  /** What went wrong. */
  message: string;
  /** A documentation link. */
  link: string;
  /** The platform's trace id: quote it to support. */
  traceId: string;
  /** More about the error, or null. */
  details: Record<string, unknown> | null;
}

/**
 * A collection's metadata (the OpenAPI file's `CollectionMetadata`): what marketplaces show for
 * the collection. Every field is required; null means "none".
 */
export interface CollectionMetadata {
  /** The collection's name. */
  name: string | null;
  /** The contract's symbol, e.g. `GLZ`. */
  symbol: string | null;
  /** Its description. */
  description: string | null;
  /** URL of its image. */
  image: string | null;
  /** URL of its website. */
  externalLink: string | null;
  /** URI of the collection's own metadata document (its contract URI). */
  contractUri: string | null;
  /** The base URI of its NFTs' metadata: token `N` is at `baseUri` + `N`. */
  baseUri: string | null;
}

/** A collection as the API reports it (`GetCollection`). */
export interface Collection extends CollectionMetadata {
  /** The chain's CAIP-2 id and name. */
  chain: { id: string; name: string };
  /** The contract address. */
  contractAddress: string;
  /** `ERC721` or `ERC1155`. */
  contractType: string;
  /** `verified`, `unverified`, `spam` or `inactive` (read as sent). */
  verificationStatus: string;
  /** When the platform first indexed it (ISO 8601). */
  indexedAt: string;
  /** When it was last updated (ISO 8601). */
  updatedAt: string;
  /** When its metadata was last synced, or null: a collection refresh has taken effect once this moves. */
  metadataSyncedAt: string | null;
}

/**
 * One stacked metadata (the OpenAPI file's `Metadata`): the metadata shared by every NFT whose
 * `metadataId` is `id`. Its NFTs are found with `iterateNfts({ contractAddress, metadataId })`.
 */
export interface StackedMetadata extends NftMetadata {
  /** The metadata id (a UUID): `Nft.metadataId` of every NFT sharing it. */
  id: string;
  /** The chain's CAIP-2 id and name. */
  chain: { id: string; name: string };
  /** The collection's contract address. */
  contractAddress: string;
  /** When it was created (ISO 8601). */
  createdAt: string;
  /** When it was last updated (ISO 8601), or null. */
  updatedAt: string | null;
}

/** Maps a collection's metadata to its wire form. */
export function collectionMetadataToWire(m: CollectionMetadata): CollectionMetadataWire {
  return {
    name: m.name,
    symbol: m.symbol,
    description: m.description,
    image: m.image,
    external_link: m.externalLink,
    contract_uri: m.contractUri,
    base_uri: m.baseUri,
  };
}

/** Maps a collection's metadata as read to camelCase; absent fields become null. */
export function collectionMetadataFromWire(
  w: {
    [K in keyof CollectionMetadataWire]?: string | null | undefined;
  },
): CollectionMetadata {
  return {
    name: w.name ?? null,
    symbol: w.symbol ?? null,
    description: w.description ?? null,
    image: w.image ?? null,
    externalLink: w.external_link ?? null,
    contractUri: w.contract_uri ?? null,
    baseUri: w.base_uri ?? null,
  };
}

/** Maps a collection as read to camelCase. */
export function collectionFromWire(w: CollectionWire): Collection {
  return {
    chain: { id: w.chain.id, name: w.chain.name },
    contractAddress: w.contract_address,
    contractType: w.contract_type,
    ...collectionMetadataFromWire(w),
    // The file requires metadata_uri without defining it: read it as contract_uri's other name.
    contractUri: w.contract_uri ?? w.metadata_uri ?? null,
    verificationStatus: w.verification_status,
    indexedAt: w.indexed_at,
    updatedAt: w.updated_at,
    metadataSyncedAt: w.metadata_synced_at ?? null,
  };
}

/** Maps a stacked metadata as read to camelCase; absent optional fields become null. */
export function stackedMetadataFromWire(w: StackedMetadataWire): StackedMetadata {
  return {
    id: w.id,
    chain: { id: w.chain.id, name: w.chain.name },
    contractAddress: w.contract_address,
    createdAt: w.created_at,
    updatedAt: w.updated_at ?? null,
    name: w.name ?? null,
    description: w.description ?? null,
    image: w.image ?? null,
    // The file requires external_link (the old name) and defines external_url: read either.
    externalUrl: w.external_url ?? w.external_link ?? null,
    animationUrl: w.animation_url ?? null,
    youtubeUrl: w.youtube_url ?? null,
    attributes: w.attributes == null ? null : w.attributes.map(attributeFromWire),
  };
}

/** Maps one attribute to its wire form; a missing display type stays missing. */
export function attributeToWire(a: NftAttribute): AttributeWire {
  const wire: AttributeWire = { trait_type: a.traitType, value: a.value };
  if (a.displayType !== undefined) wire.display_type = a.displayType;
  return wire;
}

/** Maps one wire attribute to camelCase. */
export function attributeFromWire(a: {
  trait_type: string;
  value: string | number | boolean;
  display_type?: string | null | undefined;
}): NftAttribute {
  const attribute: NftAttribute = { traitType: a.trait_type, value: a.value };
  if (a.display_type !== undefined) attribute.displayType = a.display_type as DisplayType | null;
  return attribute;
}

/** Maps the seven metadata fields to their wire form. */
export function metadataToWire(m: NftMetadata): MetadataFieldsWire {
  return {
    name: m.name,
    description: m.description,
    image: m.image,
    external_url: m.externalUrl,
    animation_url: m.animationUrl,
    youtube_url: m.youtubeUrl,
    attributes: m.attributes === null ? null : m.attributes.map(attributeToWire),
  };
}

/** Maps the seven wire metadata fields to camelCase. */
export function metadataFromWire(m: MetadataFieldsWire): NftMetadata {
  return {
    name: m.name,
    description: m.description,
    image: m.image,
    externalUrl: m.external_url,
    animationUrl: m.animation_url,
    youtubeUrl: m.youtube_url,
    attributes: m.attributes === null ? null : m.attributes.map(attributeFromWire),
  };
}

/** Maps a refresh by token id to its `nft_metadata` item. */
export function nftMetadataRefreshToWire(r: NftMetadataRefresh): NftMetadataItemWire {
  return { token_id: r.tokenId, ...metadataToWire(r) };
}

/** Maps a stacked refresh to its `metadata` item. */
export function stackedMetadataRefreshToWire(r: StackedMetadataRefresh): StackedMetadataItemWire {
  return { metadata_id: r.metadataId, ...metadataToWire(r) };
}

/** Maps an NFT as read to camelCase; absent optional fields become null. */
export function nftFromWire(w: NftWire): Nft {
  return {
    chain: { id: w.chain.id, name: w.chain.name },
    tokenId: w.token_id,
    contractAddress: w.contract_address,
    contractType: w.contract_type,
    indexedAt: w.indexed_at,
    updatedAt: w.updated_at,
    metadataSyncedAt: w.metadata_synced_at ?? null,
    metadataId: w.metadata_id ?? null,
    name: w.name ?? null,
    description: w.description ?? null,
    image: w.image ?? null,
    // external_link is the deprecated name of external_url; read either.
    externalUrl: w.external_url ?? w.external_link ?? null,
    animationUrl: w.animation_url ?? null,
    youtubeUrl: w.youtube_url ?? null,
    attributes: (w.attributes ?? []).map(attributeFromWire),
    totalSupply: w.total_supply ?? null,
  };
}

/** Maps an error body to camelCase. */
export function zkEvmErrorFromWire(w: ZkEvmErrorBodyWire): ZkEvmApiError {
  return {
    code: w.code,
    message: w.message,
    link: w.link,
    traceId: w.trace_id,
    details: w.details ?? null,
  };
}

/** What {@link metadataPushFromJson} made of one JSON document. */
export type MetadataPushFromJson =
  /** The push item, and the document's keys that have no field on the platform (when ignored). */
  | { ok: true; nft: NftMetadataRefresh; ignoredKeys: string[] }
  /**
   * Why the document cannot be pushed, naming the field, e.g. `attributes[0].value: …`;
   * `tooLarge` when its one problem is its size (over `MAX_ITEM_BYTES` as sent).
   */
  | { ok: false; problem: string; tooLarge?: boolean | undefined };

/** Options of {@link metadataPushFromJson}. */
export interface MetadataPushFromJsonOptions {
  /**
   * The token the document is for, when the caller already knows it (a Metadata API answers
   * `/<tokenId>`): a `token_id` in the document must then equal it. Without it the document must
   * carry `token_id`.
   */
  tokenId?: string | undefined;
  /**
   * What a key other than `token_id` and the seven metadata keys gets. `refuse` (default): the
   * document is refused, since a misspelt key (`imageUrl`) would otherwise clear its field.
   * `ignore`: listed in `ignoredKeys`, for documents written for other readers (a Metadata API's
   * ERC-721 JSON often carries keys the platform has no field for).
   */
  unknownKeys?: 'refuse' | 'ignore' | undefined;
}

const PUSH_KEYS: readonly string[] = ['token_id', ...METADATA_KEYS];

function pathText(path: readonly PropertyKey[]): string {
  return path
    .map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i === 0 ? '' : '.'}${String(key)}`))
    .join('');
}

/**
 * Maps one NFT's metadata as JSON in the wire's snake_case (`token_id`, `name`, `description`,
 * `image`, `external_url`, `animation_url`, `youtube_url`, `attributes` of `{ trait_type, value,
 * display_type? }`) to the camelCase push item, checked against the wire schema. **A metadata key
 * the document leaves out becomes `null`: the push clears that field.** Never throws: a document
 * that cannot be pushed gives `{ ok: false, problem }`.
 */
export function metadataPushFromJson(
  value: unknown,
  options: MetadataPushFromJsonOptions = {},
): MetadataPushFromJson {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, problem: 'must be a JSON object' };
  }
  const document = value as Record<string, unknown>;
  const extra = Object.keys(document).filter((key) => !PUSH_KEYS.includes(key));
  if (extra.length > 0 && options.unknownKeys !== 'ignore') {
    return {
      ok: false,
      problem: `has an unknown key ${JSON.stringify(extra[0])}; the keys are ${PUSH_KEYS.join(', ')}`,
    };
  }
  let tokenId = document.token_id;
  if (options.tokenId !== undefined) {
    if (tokenId !== undefined && tokenId !== options.tokenId) {
      return {
        ok: false,
        problem: `token_id ${JSON.stringify(tokenId)} is not the token it was read for (${options.tokenId})`,
      };
    }
    tokenId = options.tokenId;
  } else if (tokenId === undefined) {
    return { ok: false, problem: 'token_id is required' };
  }
  const item = Object.fromEntries([
    ['token_id', tokenId],
    ...METADATA_KEYS.map((key) => [key, document[key] === undefined ? null : document[key]]),
  ]);
  const parsed = nftMetadataItemSchema.safeParse(item);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const message = issue?.message ?? 'is invalid';
    const path = issue?.path ?? [];
    // The schema's messages name their key ("value must be …"): name only where it sits.
    const last = path[path.length - 1];
    const where = typeof last === 'string' && message.startsWith(last) ? path.slice(0, -1) : path;
    const at = pathText(where);
    // The size refinement runs only once every field is valid: then it is the one problem.
    const tooLarge = parsed.error.issues.every((i) => i.code === 'custom' && i.path.length === 0);
    return { ok: false, problem: at === '' ? message : `${at}: ${message}`, tooLarge };
  }
  const { token_id, ...fields } = parsed.data;
  return { ok: true, nft: { tokenId: token_id, ...metadataFromWire(fields) }, ignoredKeys: extra };
}
