/** `GET /v1/assets/{token_address}/{token_id}`: the metadata a refresh last fetched for a token. */
import { tokenIdProblem } from '../../wire/token-id.js';
import type { ServiceResponse } from '../types.js';
import type { RouteContext } from './context.js';
import { apiError, json } from './responses.js';

/** Public (no signature): the platform's asset read. */
export function getAsset(ctx: RouteContext, address: string, tokenId: string): ServiceResponse {
  const problem = tokenIdProblem(tokenId);
  if (problem !== undefined) return apiError(400, 'bad_request', `The token id ${problem}`);
  const found = ctx.state.store.getMetadata(address, tokenId);
  if (!found) {
    return apiError(404, 'not_found', `Asset ${address}/${tokenId} has no refreshed metadata`);
  }
  return json(200, {
    token_address: address.toLowerCase(),
    token_id: tokenId,
    metadata: found.metadata,
    updated_at: new Date(found.updatedAtMs).toISOString(),
  });
}
