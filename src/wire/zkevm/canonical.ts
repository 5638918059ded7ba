/**
 * What "the same metadata" means on zkEVM, in one place: the sync's drift, and the scheduler's
 * check that an NFT shows a push, compare the seven fields the platform keeps in this form.
 *
 * - A missing field, `undefined`, `null` and `""` are one value, "none": a push sends a field left
 *   out as null, and a marketplace shows an empty name or image as it shows none. Treating them
 *   apart would make a platform that stores `""` as null (or the reverse) drift forever, every
 *   sync spending a push that changes nothing.
 * - Attributes: `null`, missing and `[]` are "no traits". Their **order counts**: the OpenAPI
 *   file declares `attributes` an array and says nothing of sorting, and the platform lists them
 *   as pushed (the reference engine keeps the order), so a reordering is a change a marketplace
 *   shows. A missing `displayType` is `null`.
 * - Values keep their JSON type: `7` and `"7"` differ, as do `true` and `"true"`.
 */
import type { MetadataPushFields, NftAttribute } from './mappers.js';

/** The seven metadata fields the platform keeps, in the order the wire lists them. */
export const METADATA_FIELDS = [
  'name',
  'description',
  'image',
  'externalUrl',
  'animationUrl',
  'youtubeUrl',
  'attributes',
] as const;

/** One of the seven metadata fields. */
export type MetadataField = (typeof METADATA_FIELDS)[number];

/** An attribute in canonical form: every key present, `displayType` null when none. */
export interface CanonicalAttribute {
  traitType: string;
  value: string | number | boolean;
  displayType: NonNullable<NftAttribute['displayType']> | null;
}

/** Metadata in canonical form: every field present; "none" is `null`, no traits is `[]`. */
export interface CanonicalMetadata {
  name: string | null;
  description: string | null;
  image: string | null;
  externalUrl: string | null;
  animationUrl: string | null;
  youtubeUrl: string | null;
  attributes: CanonicalAttribute[];
}

const text = (value: string | null | undefined): string | null =>
  value === undefined || value === null || value === '' ? null : value;

/**
 * `metadata` (pushed, read back, or from a source) in the one form drift is judged on.
 * @throws never for metadata of the documented shape.
 */
export function canonicalMetadata(metadata: MetadataPushFields): CanonicalMetadata {
  return {
    name: text(metadata.name),
    description: text(metadata.description),
    image: text(metadata.image),
    externalUrl: text(metadata.externalUrl),
    animationUrl: text(metadata.animationUrl),
    youtubeUrl: text(metadata.youtubeUrl),
    attributes: (metadata.attributes ?? []).map((a) => ({
      traitType: a.traitType,
      value: a.value,
      displayType: a.displayType ?? null,
    })),
  };
}

const sameAttributes = (a: CanonicalAttribute[], b: CanonicalAttribute[]) =>
  a.length === b.length &&
  a.every((x, i) => {
    const y = b[i] as CanonicalAttribute;
    // Strict equality: `7` and `"7"` differ; 0 and -0 do not (JSON writes both as 0).
    return x.traitType === y.traitType && x.value === y.value && x.displayType === y.displayType;
  });

/**
 * The fields in which two NFTs' metadata differ, in {@link METADATA_FIELDS} order; empty when
 * they are the same metadata.
 * @throws never for metadata of the documented shape.
 */
export function metadataDrift(a: MetadataPushFields, b: MetadataPushFields): MetadataField[] {
  const x = canonicalMetadata(a);
  const y = canonicalMetadata(b);
  return METADATA_FIELDS.filter((field) =>
    field === 'attributes' ? !sameAttributes(x.attributes, y.attributes) : x[field] !== y[field],
  );
}
