/** One msw server for the client tests, reset between tests, with request recording. */
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll } from 'vitest';

export const server = setupServer();

export interface RecordedRequest {
  method: string;
  url: URL;
  headers: Headers;
}

export const recorded: RecordedRequest[] = [];

server.events.on('request:start', ({ request }) => {
  recorded.push({ method: request.method, url: new URL(request.url), headers: request.headers });
});

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => {
  server.resetHandlers();
  recorded.length = 0;
});
afterAll(() => server.close());
