/**
 * Reading a request's body as a JSON object, once for both engines: the size cap (declared, then
 * read), a reader that failed, no body, text that is not JSON, JSON that is not an object. Each
 * engine words the problem in its own API's error format.
 */
import { declaredLength, MAX_BODY_BYTES, type ParsedRequest, readBody } from './request.js';

/** Why a body is not a JSON object. */
export type JsonBodyProblem = 'tooLarge' | 'unreadable' | 'missing' | 'notJson' | 'notObject';

/**
 * The body parsed as a JSON object, or why it is not one. A body declared over
 * {@link MAX_BODY_BYTES} is refused without reading a byte of it.
 */
export async function readJsonObject(
  req: ParsedRequest,
): Promise<{ value: Record<string, unknown> } | { problem: JsonBodyProblem }> {
  if ((declaredLength(req) ?? 0) > MAX_BODY_BYTES) return { problem: 'tooLarge' };
  const read = await readBody(req);
  if ('tooLarge' in read) return { problem: 'tooLarge' };
  if ('unreadable' in read) return { problem: 'unreadable' };
  if (read.text === undefined) return { problem: 'missing' };
  let value: unknown;
  try {
    value = JSON.parse(read.text);
  } catch {
    return { problem: 'notJson' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { problem: 'notObject' };
  }
  return { value: value as Record<string, unknown> };
}
