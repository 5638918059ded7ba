/**
 * Which route a request is, and the checks every route of a collection shares, in the order
 * the platform's gateway would run them: the key (refreshes only, before the body is read),
 * the chain, the contract address, the collection.
 */
import { CONTRACT_ADDRESS_PATTERN } from '../../wire/zkevm/limits.js';
import type { ParsedRequest } from '../request.js';
import { getCollection, refreshCollection } from './collection-routes.js';
import type { RouteContext } from './context.js';
import { getMetadata, listMetadata } from './metadata-routes.js';
import { getNft, listNfts } from './nft-routes.js';
import { refreshNfts, refreshStacks } from './refresh-routes.js';
import { fail, notFound, type RouteResult } from './responses.js';
import type { CollectionState } from './state.js';

interface Route {
  /** Needs the API key. */
  secured: boolean;
  run(
    ctx: RouteContext,
    req: ParsedRequest,
    collection: CollectionState,
  ): RouteResult | Promise<RouteResult>;
}

/** The route for a method and the path segments after `/v1/chains/{chain}/collections/{address}`. */
function routeOf(method: string, rest: readonly string[]): Route | undefined {
  const [resource, item, ...more] = rest;
  if (more.length > 0) return undefined;
  if (resource === undefined) {
    return method === 'GET'
      ? { secured: false, run: (ctx, _req, collection) => getCollection(ctx, collection) }
      : undefined;
  }
  if (method === 'POST' && resource === 'refresh-metadata' && item === undefined) {
    return { secured: true, run: refreshCollection };
  }
  if (method === 'POST' && item === 'refresh-metadata') {
    if (resource === 'nfts') return { secured: true, run: refreshNfts };
    if (resource === 'metadata') return { secured: true, run: refreshStacks };
  }
  if (method === 'GET' && resource === 'nfts') {
    if (item === undefined) return { secured: false, run: listNfts };
    return { secured: false, run: (ctx, _req, collection) => getNft(ctx, collection, item) };
  }
  if (method === 'GET' && resource === 'metadata') {
    if (item === undefined) return { secured: false, run: listMetadata };
    return { secured: false, run: (ctx, _req, collection) => getMetadata(ctx, collection, item) };
  }
  return undefined;
}

const noRoute = () =>
  fail('RESOURCE_NOT_FOUND', 'No such route: see the zkEVM API reference for what is served');

/**
 * Routes a parsed request: the eight operations of the OpenAPI file. Anything else answers 404
 * `RESOURCE_NOT_FOUND`, including a known path with another method: the OpenAPI file lists 404
 * for every operation and no 405.
 */
export function route(ctx: RouteContext, req: ParsedRequest): RouteResult | Promise<RouteResult> {
  const [v1, chains, chainName, collections, address, ...rest] = req.segments;
  if (v1 !== 'v1' || chains !== 'chains' || collections !== 'collections') return noRoute();
  if (chainName === undefined || address === undefined) return noRoute();
  const found = routeOf(req.method, rest);
  if (!found) return noRoute();
  if (found.secured) {
    const refused = ctx.checkKey(req.header);
    if (refused) return refused;
  }
  if (chainName !== ctx.chain.name) return notFound(`Chain ${chainName}`);
  if (!CONTRACT_ADDRESS_PATTERN.test(address)) {
    return fail('VALIDATION_ERROR', 'contract_address must be 0x followed by 40 hex characters', {
      field: 'contract_address',
    });
  }
  const collection = ctx.state.collection(address);
  if (!collection) return notFound(`Collection ${address.toLowerCase()}`);
  return found.run(ctx, req, collection);
}
