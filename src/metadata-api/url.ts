/**
 * Where the worker fetches a token's metadata: `${metadataApiUrl}/${tokenId}`, built so that no
 * token id can change what the URL points at.
 */
import { tokenIdProblem } from '../wire/token-id.js';

/**
 * Checks a collection's Metadata API base URL: absolute, and without a query or fragment (a token
 * id appended to `…?a=b` or `…#x` would land in the query or fragment, not the path). The message
 * names the URL only by its host: a base URL may carry a credential (`https://user:pass@…`, a key
 * in its path or query), and errors end up in logs.
 * @throws {TypeError} naming `label`
 */
export function checkMetadataApiUrl(base: string, label: string): void {
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw new TypeError(`${label}: metadataApiUrl is not an absolute URL`);
  }
  if (url.search !== '' || url.hash !== '' || base.includes('?') || base.includes('#')) {
    throw new TypeError(
      `${label}: metadataApiUrl (on ${url.host}) must not have a query or fragment`,
    );
  }
}

/**
 * The token's Metadata API URL. The id becomes exactly one path segment: percent-encoded (so `/`,
 * `?`, `#`, `\` and `%` stay data) and never `.` or `..`, which URL parsers resolve even when
 * percent-encoded (`…/metadata/..` would fetch the parent).
 * @throws {TypeError} for an id {@link tokenIdProblem} refuses
 */
export function metadataUrl(base: string, tokenId: string): string {
  const problem = tokenIdProblem(tokenId);
  if (problem !== undefined) throw new TypeError(`token id ${JSON.stringify(tokenId)} ${problem}`);
  return `${base.replace(/\/+$/, '')}/${encodeURIComponent(tokenId)}`;
}
