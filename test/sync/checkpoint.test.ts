/** The sync's file checkpoint: written whole or not at all, read back as written, refused when foreign. */
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileSyncCheckpoint, InvalidRequestError, type SyncCheckpoint } from '../../src/index.js';

const checkpoint = (scanned: number): SyncCheckpoint => ({
  version: 1,
  contractAddress: `0x${'a'.repeat(40)}`,
  fromUpdatedAt: null,
  startedAt: '2026-12-08T00:00:00.000Z',
  cursor: `~${scanned}~`,
  counts: { scanned, inSync: scanned, drifted: 0, unreadable: 0, enqueued: 0 },
});

describe('fileSyncCheckpoint', () => {
  it('saves by replacing the file whole, loads what it saved, and clears it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sync-cp-'));
    const store = fileSyncCheckpoint(join(dir, 'sync.json'));
    expect(await store.load()).toBeUndefined();
    await store.save(checkpoint(200));
    await store.save(checkpoint(400));
    expect(await store.load()).toEqual(checkpoint(400));
    // No temporary file is left beside it.
    expect(readdirSync(dir)).toEqual(['sync.json']);
    await store.clear();
    expect(await store.load()).toBeUndefined();
    await store.clear();
  });

  it('refuses a file that is not a checkpoint, naming it, rather than starting over silently', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sync-cp-'));
    const path = join(dir, 'sync.json');
    for (const text of ['{"version": 1', JSON.stringify({ ...checkpoint(0), version: 2 }), '[]']) {
      writeFileSync(path, text);
      const error = await fileSyncCheckpoint(path)
        .load()
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidRequestError);
      expect((error as Error).message).toContain(`The checkpoint ${path} is not a sync checkpoint`);
    }
  });
});
