/**
 * A hostile Metadata API, run as its own process so its memory is not the engine's: every token
 * gets a body that never ends. Tokens named `chunked-*` get a 200 with a chunked JSON body that
 * goes on forever; `declared-*` a 200 declaring 4 GiB; `error-*` a 500 whose text never ends.
 * Prints `{ "url" }` once listening; answers an IPC `stats` message with the bytes it offered
 * (declared or endless) and the bytes the engine actually took off the socket.
 */
import { createServer } from 'node:http';

const CHUNK = Buffer.alloc(64 * 1024, 'a');
const FOUR_GIB = 4 * 1024 ** 3;
let taken = 0;
let requests = 0;

const server = createServer((req, res) => {
  requests++;
  const token = decodeURIComponent(req.url?.split('/').pop() ?? '');
  if (token.startsWith('declared-')) {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(FOUR_GIB) });
  } else if (token.startsWith('error-')) {
    res.writeHead(500, { 'content-type': 'text/plain' });
  } else {
    res.writeHead(200, { 'content-type': 'application/json' });
  }
  res.write(token.startsWith('error-') ? 'error ' : '{"name":"');
  let closed = false;
  res.on('close', () => {
    closed = true;
  });
  // As fast as the engine reads, never buffering ahead of the socket (so this process stays
  // small and `taken` counts what the engine pulled).
  const pump = () => {
    while (!closed) {
      const more = res.write(CHUNK, () => {
        taken += CHUNK.length;
      });
      if (!more) {
        res.once('drain', pump);
        return;
      }
    }
  };
  pump();
});

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${port}/metadata` })}\n`);
});

process.on('message', (message) => {
  if (message === 'stats') process.send?.({ taken, requests, offeredPerToken: FOUR_GIB });
});
process.on('disconnect', () => process.exit(0));
