/** Reading and validating a refresh body: JSON first, then the wire schema, naming the field. */
import type { z } from 'zod';
import { type JsonBodyProblem, readJsonObject } from '../json-body.js';
import { MAX_BODY_BYTES, type ParsedRequest } from '../request.js';
import { fail, type RouteResult } from './responses.js';

/** A zod issue path as a field name: `nft_metadata[3].token_id`. */
export function fieldName(path: ReadonlyArray<PropertyKey>): string {
  let name = '';
  for (const part of path) {
    if (typeof part === 'number') name += `[${part}]`;
    else name += name === '' ? String(part) : `.${String(part)}`;
  }
  return name === '' ? 'body' : name;
}

/**
 * Parses the body against `schema`. Anything wrong is a 400 `VALIDATION_ERROR` whose message
 * starts with the field and whose `details.field` names it. Bodies over 1 MiB are refused
 * before parsing (the list limit is 228 KiB; the rest is room for whitespace).
 */
export async function readBody<T extends z.ZodType>(
  req: ParsedRequest,
  schema: T,
  shape: string,
): Promise<{ data: z.output<T> } | RouteResult> {
  const body = await readJsonObject(req);
  if ('problem' in body) {
    const problems: Record<JsonBodyProblem, string> = {
      tooLarge: `body must be at most ${MAX_BODY_BYTES} bytes`,
      unreadable: 'body could not be read',
      missing: `body is required: JSON ${shape}`,
      notJson: 'body is not valid JSON',
      notObject: `body must be a JSON object: ${shape}`,
    };
    return fail('VALIDATION_ERROR', problems[body.problem], { field: 'body' });
  }
  const parsed = schema.safeParse(body.value);
  if (parsed.success) return { data: parsed.data };
  const issue = parsed.error.issues[0];
  const path = issue?.path ?? [];
  // An unknown key is named by the key itself, not by the object holding it.
  const keys = issue?.code === 'unrecognized_keys' ? issue.keys : [];
  const field = fieldName(keys.length > 0 ? [...path, keys[0] as string] : path);
  const message = issue?.message ?? 'is invalid';
  return fail('VALIDATION_ERROR', `${field}: ${message}`, { field });
}
