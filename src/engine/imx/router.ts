/**
 * Which route a request is, and what runs before it: the method (405), then auth decided from
 * headers alone before any body is read (a caller that cannot be served costs the adapter no
 * buffered body), then a declared length over the limit refused without reading. Only an
 * authenticated POST reads its body.
 */
import { declaredLength, MAX_BODY_BYTES, type ParsedRequest } from '../request.js';
import type { ServiceResponse } from '../types.js';
import { getAsset } from './asset-routes.js';
import type { RouteContext } from './context.js';
import { getRefresh, listRefreshes, requestRefresh } from './refresh-routes.js';
import { apiError, methodNotAllowed, payloadTooLarge } from './responses.js';

/** Routes a parsed request; anything not served is a 404 `not_found`. */
export async function route(ctx: RouteContext, req: ParsedRequest): Promise<ServiceResponse> {
  const [v1, resource, id, sub, ...rest] = req.segments;
  if (
    v1 === 'v1' &&
    resource === 'assets' &&
    id !== undefined &&
    sub !== undefined &&
    rest.length === 0
  ) {
    if (req.method !== 'GET') return methodNotAllowed(['GET']);
    return getAsset(ctx, id, sub);
  }
  if (v1 !== 'v1' || resource !== 'metadata-refreshes' || rest.length > 0) {
    return apiError(404, 'not_found', 'No such route');
  }
  if (sub !== undefined && sub !== 'errors') return apiError(404, 'not_found', 'No such route');
  const allowed = id === undefined ? ['GET', 'POST'] : ['GET'];
  if (!allowed.includes(req.method)) return methodNotAllowed(allowed);

  const auth = ctx.authenticate(req.header);
  // Past this point the caller is the project owner (without a configured owner, every
  // correctly signed caller is): one service is one project, and every refresh is theirs.
  if (!auth.ok) return auth.response;
  if ((declaredLength(req) ?? 0) > MAX_BODY_BYTES) return payloadTooLarge();

  if (id === undefined) {
    return req.method === 'POST' ? requestRefresh(ctx, req) : listRefreshes(ctx, req);
  }
  return getRefresh(ctx, req, id, sub === 'errors');
}
