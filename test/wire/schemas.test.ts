import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  createRefreshRequestSchema,
  refreshErrorsPageWireSchema,
  refreshErrorWireSchema,
  refreshWireSchema,
} from '../../src/index.js';
import { cursorPageSchema } from '../../src/wire/schemas.js';
import { COLLECTION, refreshErrorWire, refreshWire } from '../support/fixtures.js';

const SUMMARY = { succeeded: 2, failed: 1, pending: 3 };

describe('refreshWireSchema', () => {
  it('accepts the summary as an object', () => {
    const parsed = refreshWireSchema.parse(refreshWire('service', { summary: SUMMARY }));

    expect(parsed.summary).toEqual(SUMMARY);
  });

  it('normalises a one-element summary array to the object', () => {
    const parsed = refreshWireSchema.parse(refreshWire('upstream', { summary: SUMMARY }));

    expect(parsed.summary).toEqual(SUMMARY);
  });

  it.each([
    ['an empty summary array', []],
    ['a two-element summary array', [SUMMARY, SUMMARY]],
  ])('rejects %s', (_name, summary) => {
    expect(refreshWireSchema.safeParse({ ...refreshWire('service'), summary }).success).toBe(false);
  });

  it('turns a missing completed_at into null', () => {
    const { completed_at: _completedAt, ...wire } = refreshWire('service', { status: 'queued' });

    expect(refreshWireSchema.parse(wire).completed_at).toBeNull();
  });

  it('keeps completed_at of a completed refresh', () => {
    expect(refreshWireSchema.parse(refreshWire('service')).completed_at).toBe(
      '2022-08-31T02:00:09.786143Z',
    );
  });

  it('rejects an unknown status', () => {
    expect(
      refreshWireSchema.safeParse({ ...refreshWire('service'), status: 'failed' }).success,
    ).toBe(false);
  });
});

describe('refreshErrorWireSchema', () => {
  it.each<[string, unknown, number | null]>([
    ['a number', 404, 404],
    ['a numeric string', '404', 404],
    ['null', null, null],
    ['an empty string', '', null],
  ])('parses client_response_status_code given as %s', (_name, code, expected) => {
    const wire = { ...refreshErrorWire('service', '1'), client_response_status_code: code };

    expect(refreshErrorWireSchema.parse(wire).client_response_status_code).toBe(expected);
  });

  it('parses a missing client_response_status_code as null', () => {
    const { client_response_status_code: _code, ...wire } = refreshErrorWire('service', '1');

    expect(refreshErrorWireSchema.parse(wire).client_response_status_code).toBeNull();
  });

  it('rejects a non-numeric client_response_status_code', () => {
    const wire = { ...refreshErrorWire('service', '1'), client_response_status_code: 'abc' };

    expect(refreshErrorWireSchema.safeParse(wire).success).toBe(false);
  });

  it('parses both upstream variants to the same row', () => {
    expect(refreshErrorWireSchema.parse(refreshErrorWire('upstream', '7'))).toEqual(
      refreshErrorWireSchema.parse(refreshErrorWire('service', '7')),
    );
  });
});

describe('createRefreshRequestSchema', () => {
  const valid = { collection_address: COLLECTION, token_ids: ['1', '2'] };

  it('accepts a valid request', () => {
    expect(createRefreshRequestSchema.parse(valid)).toEqual(valid);
  });

  it('accepts 1000 ids', () => {
    const ids = Array.from({ length: 1000 }, (_, i) => String(i));

    expect(createRefreshRequestSchema.safeParse({ ...valid, token_ids: ids }).success).toBe(true);
  });

  it.each<[string, unknown, string]>([
    ['a missing collection_address', { token_ids: ['1'] }, 'collection_address'],
    ['a bad address', { ...valid, collection_address: '0x1234' }, 'collection_address'],
    ['missing token_ids', { collection_address: COLLECTION }, 'token_ids'],
    ['empty token_ids', { ...valid, token_ids: [] }, 'token_ids'],
    [
      '1001 ids',
      { ...valid, token_ids: Array.from({ length: 1001 }, (_, i) => String(i)) },
      'token_ids',
    ],
    ['a non-string id', { ...valid, token_ids: ['1', 2] }, 'token_ids'],
    ['an empty string id', { ...valid, token_ids: ['1', ''] }, 'token_ids'],
  ])('rejects %s, naming the field', (_name, body, field) => {
    const result = createRefreshRequestSchema.safeParse(body);

    expect(result.success).toBe(false);
    expect(result.error?.issues).toHaveLength(1);
    expect(result.error?.issues[0]?.message).toContain(field);
    expect(result.error?.issues[0]?.path[0]).toBe(field);
  });
});

describe('cursor pages', () => {
  it('turns a null cursor into an empty string', () => {
    const page = cursorPageSchema(z.string()).parse({ result: ['a'], cursor: null, remaining: 0 });

    expect(page).toEqual({ result: ['a'], cursor: '', remaining: 0 });
  });

  it('turns a null cursor of an errors page into an empty string', () => {
    const page = refreshErrorsPageWireSchema.parse({
      result: [refreshErrorWire('upstream', '1')],
      cursor: null,
      remaining: 0,
    });

    expect(page.cursor).toBe('');
    expect(page.result[0]?.client_response_status_code).toBe('404');
  });

  it('keeps a non-empty cursor', () => {
    const page = refreshErrorsPageWireSchema.parse({ result: [], cursor: 'abc', remaining: 1 });

    expect(page.cursor).toBe('abc');
  });
});
