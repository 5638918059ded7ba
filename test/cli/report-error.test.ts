/** How the CLI prints a multi-request call's error: what was accepted and what was not sent. */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { type Io, reportError } from '../../src/cli/commands.js';
import { rejection } from '../support/errors.js';
import { COLLECTION } from '../support/fixtures.js';
import { useMock } from '../support/mock.js';

const ids = (n: number) => Array.from({ length: n }, (_, i) => `t${i}`);

function io(): Io & { text: () => string } {
  const err = new PassThrough();
  let text = '';
  err.on('data', (chunk: Buffer) => {
    text += chunk.toString('utf8');
  });
  return { out: new PassThrough(), err, env: {}, text: () => text };
}

describe('reportError and a partial requestRefreshes', () => {
  const api = useMock();

  const partial = async () => {
    api.mock.setRemainingRefreshes(1);
    return rejection(
      api.client().requestRefreshes({ collectionAddress: COLLECTION, tokenIds: ids(1002) }),
    );
  };

  it('prints the accepted refreshes and the ids not sent', async () => {
    const error = await partial();
    const out = io();
    expect(reportError(error, out)).toBe(1);
    expect(out.text()).toContain('accepted refresh-1 (1000 tokens)');
    expect(out.text()).toContain('not sent: t1000 t1001');
  });

  it('--json: the same lists in the document', async () => {
    const error = await partial();
    const out = io();
    reportError(error, out, true);
    expect(JSON.parse(out.text())).toMatchObject({
      error: { status: 429 },
      accepted: [{ refreshId: 'refresh-1', tokenIds: ids(1000) }],
      notSent: ['t1000', 't1001'],
      uncertain: [],
    });
  });
});
