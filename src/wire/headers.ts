/** Reading one header from whatever holds a response's headers. */

/** Anything that holds headers: a `Headers`, axios headers, or a plain object. */
export type HeadersLike =
  | {
      /**
       * A header's value by name, case-insensitively. Never throws, and an implementation must
       * not: the parsers that read headers let what it throws through.
       */
      get(name: string): string | null | undefined;
    }
  | Record<string, unknown>
  | null
  | undefined;

/** Reads one header case-insensitively from any {@link HeadersLike}; an array's first value. */
export function readHeader(headers: HeadersLike, name: string): string | undefined {
  if (!headers) return undefined;
  const lower = name.toLowerCase();
  let value: unknown;
  if (typeof (headers as Headers).get === 'function') {
    value = (headers as Headers).get(lower);
  } else {
    const record = headers as Record<string, unknown>;
    value = record[lower] ?? record[name];
    if (value === undefined) {
      const key = Object.keys(record).find((k) => k.toLowerCase() === lower);
      if (key !== undefined) value = record[key];
    }
  }
  if (Array.isArray(value)) value = value[0];
  if (value === undefined || value === null) return undefined;
  return String(value);
}
