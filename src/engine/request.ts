/** Normalises an adapter's request: method, path segments, query, headers and body text. */
import type { ServiceRequest } from './types.js';

/** Largest accepted request body: 1 MiB. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** A request with its parts made uniform. */
export interface ParsedRequest {
  method: string;
  segments: string[];
  /** The path without its query string, as sent (for error reports). */
  pathname: string;
  query: URLSearchParams;
  header(name: string): string | undefined;
  /** The body as the adapter gave it: read it with {@link readBody}, after authenticating. */
  body: ServiceRequest['body'];
}

/** The body's text (undefined when there is none), or why it cannot be had. */
export type BodyResult = { text: string | undefined } | { tooLarge: true } | { unreadable: true };

/** The declared `content-length`, when it is a plain decimal number. */
export function declaredLength(req: ParsedRequest): number | undefined {
  const value = req.header('content-length');
  return value !== undefined && /^\d{1,16}$/.test(value.trim()) ? Number(value) : undefined;
}

/**
 * Reads the body, calling the adapter's reader if it gave one (at most {@link MAX_BODY_BYTES} + 1
 * bytes); `tooLarge` past {@link MAX_BODY_BYTES}, `unreadable` when the reader failed (the client
 * went away).
 */
export async function readBody(req: ParsedRequest): Promise<BodyResult> {
  let body: string | Uint8Array | undefined;
  if (typeof req.body === 'function') {
    try {
      body = await req.body(MAX_BODY_BYTES);
    } catch {
      return { unreadable: true };
    }
  } else {
    body = req.body;
  }
  let text: string | undefined;
  if (typeof body === 'string') {
    if (Buffer.byteLength(body, 'utf8') > MAX_BODY_BYTES) return { tooLarge: true };
    text = body;
  } else if (body instanceof Uint8Array) {
    if (body.byteLength > MAX_BODY_BYTES) return { tooLarge: true };
    text = new TextDecoder().decode(body);
  }
  return { text: text === '' ? undefined : text };
}

function lowerCaseHeaders(headers: ServiceRequest['headers']): Map<string, string> {
  const out = new Map<string, string>();
  if (!headers) return out;
  if (headers instanceof Headers) {
    headers.forEach((value, name) => {
      out.set(name.toLowerCase(), value);
    });
    return out;
  }
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || value === null) continue;
    out.set(name.toLowerCase(), Array.isArray(value) ? String(value[0]) : String(value));
  }
  return out;
}

/**
 * Reads headers case-insensitively. node:http already gives lower-case names, so a plain object
 * is read directly and only copied into a lower-cased map when a name is missing.
 */
function headerReader(headers: ServiceRequest['headers']): (name: string) => string | undefined {
  if (!headers || headers instanceof Headers) {
    const map = lowerCaseHeaders(headers);
    return (name) => map.get(name.toLowerCase());
  }
  const record = headers;
  let map: Map<string, string> | undefined;
  return (name) => {
    const lower = name.toLowerCase();
    const direct = record[lower];
    if (direct !== undefined && direct !== null)
      return Array.isArray(direct) ? String(direct[0]) : String(direct);
    map ??= lowerCaseHeaders(record);
    return map.get(lower);
  };
}

/** Splits and decodes a path; undefined when a segment is not valid percent-encoding. */
function segmentsOf(pathname: string): string[] | undefined {
  try {
    return pathname
      .split('/')
      .filter((s) => s !== '')
      .map((s) => decodeURIComponent(s));
  } catch {
    return undefined;
  }
}

/** Parses a {@link ServiceRequest}; undefined when its path cannot be decoded. */
export function parseRequest(request: ServiceRequest): ParsedRequest | undefined {
  const rawPath = typeof request.path === 'string' ? request.path : '/';
  const q = rawPath.indexOf('?');
  const pathname = q === -1 ? rawPath : rawPath.slice(0, q);
  const query = new URLSearchParams(q === -1 ? '' : rawPath.slice(q + 1));
  if (request.query instanceof URLSearchParams) {
    for (const [k, v] of request.query) query.set(k, v);
  } else if (request.query) {
    for (const [k, v] of Object.entries(request.query)) {
      if (v !== undefined) query.set(k, Array.isArray(v) ? String(v[0]) : String(v));
    }
  }
  const segments = segmentsOf(pathname);
  if (!segments) return undefined;
  const header = headerReader(request.headers);
  return {
    method: String(request.method ?? 'GET').toUpperCase(),
    segments,
    pathname,
    query,
    header,
    body: request.body,
  };
}
