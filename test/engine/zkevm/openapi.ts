/**
 * Validates the engine's answers against the platform's OpenAPI file (a copy beside this file,
 * from shared/spec, so a fresh checkout tests the same contract).
 *
 * OpenAPI 3.0 is not JSON Schema: ajv 8 understands `nullable`, but it does not let null
 * through an `enum` that lacks it, while the file means `display_type` to be nullable (its
 * summary says `| null`). So `null` is added to such enums. Annotation keywords (`example`,
 * `x-go-*`) are declared so ajv stays strict about everything else. The components become one
 * schema with an `$id`, so every `#/components/schemas/...` reference resolves.
 */
import { readFileSync } from 'node:fs';
import Ajv, { type ValidateFunction } from 'ajv';
import type { ServiceRequest, ServiceResponse } from '../../../src/engine/types.js';

const SPEC_ID = 'zkevm-openapi';
const FORMATS = {
  uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
  'date-time': /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/i,
  int32: /^-?\d+$/,
};

type Json = Record<string, unknown>;

interface Operation {
  operationId?: string;
  responses: Record<string, { $ref?: string; headers?: Json; content?: Json }>;
}

/** The spec, as JSON. */
export const spec = JSON.parse(
  readFileSync(new URL('./zkevm-openapi-metadata-refresh.json', import.meta.url), 'utf8'),
) as { paths: Record<string, Record<string, Operation>>; components: Json & { responses: Json } };

/** Adds `null` to every enum of a `nullable` schema, recursively, in a copy. */
function nullableEnums(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(nullableEnums);
  if (typeof node !== 'object' || node === null) return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node)) out[k] = nullableEnums(v);
  if (out.nullable === true && Array.isArray(out.enum) && !out.enum.includes(null)) {
    out.enum = [...out.enum, null];
  }
  return out;
}

function createAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false });
  ajv.addVocabulary(['components', 'example', 'x-go-name', 'x-go-type', 'x-go-type-import']);
  for (const [name, pattern] of Object.entries(FORMATS)) ajv.addFormat(name, pattern);
  // Components alone: the paths hold parameters and bodies, not schemas.
  ajv.addSchema({ $id: SPEC_ID, components: nullableEnums(spec.components) });
  return ajv;
}

const ajv = createAjv();
const validators = new Map<string, ValidateFunction>();

function validatorFor(ref: string): ValidateFunction {
  let validate = validators.get(ref);
  if (!validate) {
    validate = ajv.compile({ $ref: `${SPEC_ID}${ref}` });
    validators.set(ref, validate);
  }
  return validate;
}

/** Resolves a `#/components/...` reference within the spec. */
function resolve(ref: string): Json {
  let node: unknown = spec;
  for (const part of ref.replace(/^#\//, '').split('/')) node = (node as Json)[part];
  return node as Json;
}

/**
 * The operation for a request: among the path templates that match, one with this method,
 * preferring literal segments over parameters (`nfts/refresh-metadata` over `nfts/{token_id}`).
 * `operation` is undefined when a template matches but none has this method.
 */
export function operationOf(
  request: Pick<ServiceRequest, 'method' | 'path'>,
): { template: string; operation: Operation | undefined } | undefined {
  const pathname = request.path.split('?')[0] ?? '';
  const segments = pathname.split('/').filter((s) => s !== '');
  const method = request.method.toLowerCase();
  const candidates = Object.entries(spec.paths)
    .map(([template, methods]) => {
      const parts = template.split('/').filter((s) => s !== '');
      const matches =
        parts.length === segments.length &&
        parts.every((p, i) => p.startsWith('{') || p === segments[i]);
      const literals = parts.filter((p) => !p.startsWith('{')).length;
      // Own keys only: a method named `__proto__` must not find the prototype.
      const operation = Object.hasOwn(methods, method) ? methods[method] : undefined;
      return { template, operation, matches, literals };
    })
    .filter((c) => c.matches)
    .sort((a, b) => Number(!!b.operation) - Number(!!a.operation) || b.literals - a.literals);
  const best = candidates[0];
  return best && { template: best.template, operation: best.operation };
}

function schemaErrors(ref: string, body: unknown): string[] {
  const validate = validatorFor(ref);
  if (validate(body)) return [];
  return (validate.errors ?? []).map((e) => `${ref} ${e.instancePath} ${e.message}`);
}

/**
 * Answers the engine gives beyond the file, each an option it documents, checked against the
 * declared response they reuse. The file lists no 429 for `RefreshCollectionMetadata`; under
 * `limits.collectionRefresh: 'shared'` (the engine's default reading of an unknown) a spent
 * budget refuses it with the 429 of the refresh operations, four headers and all.
 */
const BEYOND_THE_FILE: Record<string, Record<string, string>> = {
  RefreshCollectionMetadata: { '429': '#/components/responses/TooManyMetadataRefreshes' },
};

const ERROR_404 = '#/components/schemas/APIError404';
const ERROR_400 = '#/components/schemas/APIError400';

/**
 * Everything about an answer the OpenAPI file contradicts: a status the operation does not
 * list, a body its schema refuses, a declared header missing. A request no operation serves
 * must be a 404 (or a 400 for an undecodable path) in the platform's error shape.
 */
export function openApiProblems(request: ServiceRequest, response: ServiceResponse): string[] {
  const found = operationOf(request);
  if (!found?.operation) {
    if (response.status === 404) return schemaErrors(ERROR_404, response.body);
    if (response.status === 400) return schemaErrors(ERROR_400, response.body);
    return [`${response.status} for ${request.method} ${request.path}, which no operation serves`];
  }
  const status = String(response.status);
  const extra = BEYOND_THE_FILE[found.operation.operationId ?? '']?.[status];
  let declared = found.operation.responses[status] ?? (extra ? { $ref: extra } : undefined);
  if (!declared) return [`${found.template}: status ${response.status} is not declared`];
  if (declared.$ref) declared = resolve(declared.$ref) as typeof declared;
  const json = declared.content?.['application/json'] as { schema?: { $ref?: string } } | undefined;
  const schemaRef = json?.schema?.$ref;
  if (!schemaRef) return [`${found.template}: status ${response.status} declares no JSON body`];
  const problems = schemaErrors(schemaRef, response.body);
  for (const name of Object.keys(declared.headers ?? {})) {
    if (response.headers[name.toLowerCase()] === undefined) problems.push(`missing header ${name}`);
  }
  return problems;
}
