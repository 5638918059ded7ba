/** Normalises an adapter's request: method, path segments, query, headers and body text. */
import type { ServiceRequest } from './types.js';

/** Largest accepted request body: 1 MiB. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** A request with its parts made uniform. */
export interface ParsedRequest {
  method: string;
  segments: string[];
  query: URLSearchParams;
  header(name: string): string | undefined;
  /** The body's byte length, and its text (undefined when there is none). */
  bodyBytes: number;
  bodyText: string | undefined;
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
  let bodyBytes = 0;
  let bodyText: string | undefined;
  if (typeof request.body === 'string') {
    bodyText = request.body;
    bodyBytes = Buffer.byteLength(request.body, 'utf8');
  } else if (request.body instanceof Uint8Array) {
    bodyBytes = request.body.byteLength;
    bodyText = bodyBytes > MAX_BODY_BYTES ? undefined : new TextDecoder().decode(request.body);
  }
  return {
    method: String(request.method ?? 'GET').toUpperCase(),
    segments,
    query,
    header,
    bodyBytes,
    bodyText: bodyText === '' ? undefined : bodyText,
  };
}
