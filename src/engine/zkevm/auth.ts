/** The API-key check of the refresh operations. */

import { createHash, timingSafeEqual } from 'node:crypto';
import { optionChecks } from '../../option-checks.js';
import { API_KEY_HEADER } from '../../wire/zkevm/limits.js';
import { fail, type RouteResult } from './responses.js';
import type { ApiKeyRule } from './types.js';

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/**
 * Makes the check. A missing or blank key is 401 `UNAUTHORISED_REQUEST`; a key that is present
 * but not accepted is 403 `AUTHENTICATION_ERROR` (the OpenAPI file pairs that code with 403), so
 * a caller can tell "sent no key" from "sent the wrong key". A configured key is compared in
 * constant time over digests, so neither its bytes nor its length leak through timing. The key
 * never appears in an answer.
 */
export function apiKeyCheck(
  rule: ApiKeyRule,
): (header: (name: string) => string | undefined) => RouteResult | undefined {
  let accepts: (key: string) => boolean;
  if (typeof rule === 'function') {
    accepts = (key) => rule(key) === true;
  } else if (typeof rule === 'string' && rule.trim() !== '') {
    const expected = digest(rule);
    accepts = (key) => timingSafeEqual(digest(key), expected);
  } else {
    throw optionChecks('createZkEvmService').invalid(
      'apiKey',
      'must be a non-empty string or a function',
    );
  }
  return (header) => {
    const key = header(API_KEY_HEADER)?.trim();
    if (!key) return fail('UNAUTHORISED_REQUEST', `Missing ${API_KEY_HEADER} header`);
    if (!accepts(key))
      return fail('AUTHENTICATION_ERROR', 'The API key is not valid for this project');
    return undefined;
  };
}
