/**
 * A local Metadata API whose tokens show every outcome of a refresh, for `serve --demo`,
 * `npm run demo` and `npm run demo:imx`: the package's Metadata API server, told the demo's
 * answers.
 */
import type { MintedNft } from '../engine/zkevm/index.js';
import { type MetadataApiServer, startMetadataApiServer } from '../server/metadata-api-server.js';

/** The demo collection's address (any valid address works locally). */
export const DEMO_COLLECTION = `0x${'dec0de'.padEnd(40, '0')}`;

/** What each demo token does. Token `9` is not part of the collection: `token_not_found`. */
export const DEMO_TOKENS = {
  '1': 'succeeds',
  '2': 'succeeds',
  '3': 'succeeds',
  '4': 'answers 404',
  '5': 'answers after 3.5 s, past the 3 s limit',
  '6': 'answers malformed JSON',
  '7': 'answers a JSON array, not an object',
} as const satisfies Record<string, string>;

/** Token ids that exist in the demo collection. */
export const DEMO_EXISTING_TOKEN_IDS = Object.keys(DEMO_TOKENS);
/** Every demo token id, including one the collection does not have. */
export const DEMO_REQUEST_TOKEN_IDS = [...DEMO_EXISTING_TOKEN_IDS, '9'];

const HEROES = ['Aria', 'Borin', 'Cass'];

/**
 * ERC-721 metadata as a zkEVM collection's baseURI serves it: what the platform keeps (name,
 * image, attributes), so pushing it clears nothing the demo NFTs had.
 */
const hero = (n: number) => ({
  name: `${HEROES[(n - 1) % HEROES.length]} #${n}`,
  image: `https://example.com/heroes/${n}.png`,
  attributes: [
    { trait_type: 'level', value: 10 + n },
    { trait_type: 'attack', value: 40 + 7 * n },
  ],
});

/** Starts the demo Metadata API on loopback. `slowMs` is how long token 5 takes. */
export function startDemoMetadataApi(
  options: { slowMs?: number } = {},
): Promise<MetadataApiServer> {
  return startMetadataApiServer({
    answers: {
      '4': { status: 404, body: '404 page not found\n' },
      '5': {
        json: { name: 'Late Hero', attributes: [{ trait_type: 'level', value: 5 }] },
        delayMs: options.slowMs ?? 3_500,
      },
      '6': { body: '{"name": "Broken Hero", "level": ', contentType: 'application/json' },
      '7': { json: [{ name: 'Not an object' }] },
    },
    fallback: ({ tokenId }) => {
      const n = Number(tokenId);
      return Number.isInteger(n) && n >= 1
        ? { json: hero(n) }
        : { status: 404, json: { error: 'unknown token' } };
    },
  });
}

/** The demo zkEVM collection `serve --demo` mints (a different address from the IMX one, to tell them apart). */
export const DEMO_ZKEVM_COLLECTION = `0x${'dec0de'.padEnd(36, '0')}2e7e`;

/** The potion every token of the demo stack shares: identical metadata, so one `metadata_id`. */
const POTION = {
  name: 'Health Potion',
  description: 'Restores 50 HP',
  image: 'https://example.com/items/potion.png',
  attributes: [{ traitType: 'heal', value: 50 }],
};

/**
 * The NFTs `serve --demo` mints in {@link DEMO_ZKEVM_COLLECTION}: heroes 1-3, the same heroes
 * the demo Metadata API serves but one level lower (so reading it and pushing is a visible
 * level-up), and tokens 100-102, a stack sharing one metadata id (for the refresh by metadata id).
 */
export const DEMO_ZKEVM_NFTS: MintedNft[] = [
  ...[1, 2, 3].map((n) => ({
    tokenId: String(n),
    name: `${HEROES[(n - 1) % HEROES.length]} #${n}`,
    image: `https://example.com/heroes/${n}.png`,
    attributes: [
      { traitType: 'level', value: 9 + n },
      { traitType: 'attack', value: 40 + 7 * n },
    ],
  })),
  ...['100', '101', '102'].map((tokenId) => ({ tokenId, ...POTION })),
];
