/**
 * Every error class the package exports is called what users read in a log or match on:
 * `error.name`, `error.constructor.name` and the class's own `name` are its exported name. Checked
 * on the built package (dist/, ESM and CJS), because the bundler is what renamed a class: esbuild
 * wrote `ApiError`, whose `from` names the class in its own body, as `class _ApiError`.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertFreshBuild, PACKAGE_ROOT } from './support/built-package.js';

const ENTRIES = ['index', 'server', 'msw', 'redis'];

type ErrorClass = new (...args: unknown[]) => Error;

/** Constructor arguments that every error class of the package accepts in one of its two shapes. */
function argumentsFor(cls: ErrorClass, apiError: ErrorClass): unknown[] {
  const options = { status: 418, code: 'teapot', message: 'short and stout', headers: {} };
  if (cls === apiError || cls.prototype instanceof apiError) return [{ ...options, body: null }];
  if (cls.name === 'MetadataReadError') {
    return [{ errorCode: 'unable_to_retrieve_metadata', statusCode: null, transient: true }];
  }
  return [
    'message',
    { operation: 'enqueue', maxIds: 1, body: null, cursor: 'c', maxResponseBytes: 1 },
  ];
}

function errorClasses(module: Record<string, unknown>): [string, ErrorClass][] {
  return Object.entries(module).filter(
    (entry): entry is [string, ErrorClass] =>
      typeof entry[1] === 'function' && entry[1].prototype instanceof Error,
  );
}

describe.each(['esm', 'cjs'])('the error classes of the built package (%s)', (format) => {
  const modules: Record<string, Record<string, unknown>> = {};
  beforeAll(async () => {
    assertFreshBuild();
    const require = createRequire(import.meta.url);
    for (const entry of ENTRIES) {
      const file = join(PACKAGE_ROOT, 'dist', `${entry}.${format === 'esm' ? 'js' : 'cjs'}`);
      modules[entry] = format === 'esm' ? await import(pathToFileURL(file).href) : require(file);
    }
  });

  it('are named as they are exported: the class, an instance, its constructor', () => {
    const root = modules.index ?? {};
    const apiError = root.ApiError as ErrorClass;
    const seen: string[] = [];
    for (const module of Object.values(modules)) {
      for (const [exported, cls] of errorClasses(module)) {
        const error = new cls(...argumentsFor(cls, apiError));
        expect([cls.name, error.name, error.constructor.name]).toEqual([
          exported,
          exported,
          exported,
        ]);
        seen.push(exported);
      }
    }
    expect(seen).toContain('ApiError');
    expect(seen).toContain('MetadataRefreshError');
    expect(seen).toContain('RateLimitError');
  });

  it('ApiError.from gives a plain ApiError that says so', () => {
    const { ApiError } = modules.index as { ApiError: { from(r: unknown): Error } };
    const error = ApiError.from({ status: 418, body: '' });
    expect([error.name, error.constructor.name]).toEqual(['ApiError', 'ApiError']);
    expect(String(error.stack)).toMatch(/^ApiError: 418/);
  });
});
