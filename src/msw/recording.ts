/** Turning an msw request into the engine's request and a recording, and the answer back. */
import { HttpResponse } from 'msw';
import type { ServiceRequest, ServiceResponse } from '../engine/types.js';

/** A request a mock received, for assertions on what the code under test sent. */
export interface RecordedRequest {
  method: string;
  /** Path without the query and below the base URL, e.g. `/v1/metadata-refreshes`. */
  path: string;
  query: Record<string, string>;
  /** Lower-case names. A secret (the zkEVM mock's `x-immutable-api-key`) reads `[redacted]`. */
  headers: Record<string, string>;
  /** Parsed JSON when it parses, else the text; undefined without a body. */
  body: unknown;
}

/** What a recorded secret header's value becomes. */
export const REDACTED = '[redacted]';

function parseBody(bytes: ArrayBuffer): unknown {
  if (bytes.byteLength === 0) return undefined;
  const text = new TextDecoder().decode(bytes);
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The path of `url` below the base URL `root`, without the query: `/v1/...`. */
export function pathBelow(url: string, root: string): string {
  const prefix = new URL(root).pathname.replace(/\/$/, '');
  return new URL(url).pathname.slice(prefix.length);
}

/**
 * Reads an msw request under the base URL `root`: the engine's request (path below the root,
 * with its query) and its recording, with the values of the `redact` headers replaced by
 * {@link REDACTED}. The whole body is read: an in-process request costs nothing to read, and
 * the recording holds it. (The engine still checks the key before it looks at the body.)
 */
export async function readMswRequest(
  request: Request,
  root: string,
  redact: readonly string[] = [],
): Promise<{ service: ServiceRequest; recorded: RecordedRequest }> {
  const url = new URL(request.url);
  const path = pathBelow(request.url, root);
  const bytes = await request.arrayBuffer();
  const headers: Record<string, string> = {};
  request.headers.forEach((value, name) => {
    const lower = name.toLowerCase();
    headers[lower] = redact.includes(lower) ? REDACTED : value;
  });
  return {
    service: {
      method: request.method,
      path: path + url.search,
      headers: request.headers,
      body: bytes.byteLength === 0 ? undefined : new Uint8Array(bytes),
    },
    recorded: {
      method: request.method,
      path,
      query: Object.fromEntries(url.searchParams),
      headers,
      body: parseBody(bytes),
    },
  };
}

/** `baseURL` as a list of roots without trailing slashes, after the given defaults, each once. */
export function rootsOf(defaults: readonly string[], baseURL: string | string[] | undefined) {
  const extra = Array.isArray(baseURL) ? baseURL : baseURL ? [baseURL] : [];
  return [...new Set([...defaults, ...extra].map((u) => u.replace(/\/+$/, '')))];
}

/** The engine's answer as an msw response. */
export function toMswResponse(answer: ServiceResponse): Response {
  return HttpResponse.json(answer.body as never, {
    status: answer.status,
    headers: answer.headers,
  });
}
