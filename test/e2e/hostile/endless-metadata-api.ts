/**
 * A hostile Metadata API, run as its own process so its memory is not the engine's: every token
 * gets a body that never ends, as fast as the engine reads it. Tokens named `declared-*` get a
 * 200 declaring 4 GiB; `error-*` a 500 whose text never ends; any other a 200 with a chunked JSON
 * body that goes on forever. Prints `{ "url" }` once listening; answers an IPC `stats` message
 * with the requests, the bytes the engine took off the sockets, and the bytes declared.
 */
import { type MetadataApiAnswer, startMetadataApiServer } from '../../../src/server/index.js';

const FOUR_GIB = 4 * 1024 ** 3;

const api = await startMetadataApiServer({
  fallback: ({ tokenId }): MetadataApiAnswer => {
    if (tokenId.startsWith('error-')) return { status: 500, body: 'error ', endless: {} };
    return {
      body: '{"name":"',
      contentType: 'application/json',
      headers: tokenId.startsWith('declared-') ? { 'content-length': String(FOUR_GIB) } : {},
      endless: {},
    };
  },
});
process.stdout.write(`${JSON.stringify({ url: api.url })}\n`);

process.on('message', (message) => {
  if (message === 'stats') {
    process.send?.({ taken: api.bytesSent, requests: api.totalHits, offeredPerToken: FOUR_GIB });
  }
});
process.on('disconnect', () => process.exit(0));
