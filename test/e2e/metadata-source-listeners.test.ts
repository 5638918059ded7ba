/**
 * `metadataApiSource` at its default concurrency (16) must not put an abort listener per read on
 * the caller's long-lived signal: Node would print "MaxListenersExceededWarning: Possible
 * EventTarget memory leak detected" in every game server. It shows on a real fetch, so this runs
 * against a loopback Metadata API.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { metadataApiSource } from '../../src/index.js';
import { type MetadataApiServer, startMetadataApiServer } from '../../src/server/index.js';
import { COLLECTION } from '../support/fixtures.js';

describe('metadataApiSource on a real Metadata API', () => {
  let api: MetadataApiServer | undefined;
  const warnings: Error[] = [];
  const onWarning = (warning: Error) => warnings.push(warning);

  afterEach(async () => {
    process.off('warning', onWarning);
    await api?.close();
  });

  it('reads at its default concurrency without a MaxListenersExceededWarning', async () => {
    // Answers after 20 ms, so 16 reads are in flight at once.
    api = await startMetadataApiServer({
      fallback: ({ tokenId }) => ({ json: { name: `Hero ${tokenId}` }, delayMs: 20 }),
    });
    process.on('warning', onWarning);
    const ids = Array.from({ length: 32 }, (_, i) => String(i + 1));
    const read = await metadataApiSource({ baseUrl: api.url })(COLLECTION, ids, {
      signal: new AbortController().signal,
    });
    // Node emits the warning on the next tick.
    await new Promise((resolve) => setImmediate(resolve));
    expect([...read.values()].filter((v) => v instanceof Error)).toEqual([]);
    expect(api.maxOpen).toBeGreaterThan(10);
    expect(warnings.map((w) => `${w.name}: ${w.message}`)).toEqual([]);
  });
});
