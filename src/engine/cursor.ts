/** Opaque cursors: base64url of the last row's sort key, as JSON. */

/** Encodes a sort key into a cursor. */
export function encodeCursor(key: Record<string, string>): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/**
 * Decodes a cursor made by {@link encodeCursor} with exactly the string fields `fields`.
 * Returns undefined for anything else, so the caller answers 400.
 */
export function decodeCursor<K extends string>(
  cursor: string,
  fields: readonly K[],
): Record<K, string> | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor) || cursor.length > 4096) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    const record = value as Record<string, unknown>;
    if (Object.keys(record).length !== fields.length) return undefined;
    for (const field of fields) if (typeof record[field] !== 'string') return undefined;
    return record as Record<K, string>;
  } catch {
    return undefined;
  }
}
