/** What a failed send means for its batch: reconciling costs reads, resending costs budget. */
import { describe, expect, it } from 'vitest';
import {
  ApiError,
  ConnectionError,
  InvalidRequestError,
  MetadataRefreshError,
  SignerError,
  TimeoutError,
} from '../../src/index.js';
import { classifySendFailure } from '../../src/scheduler/send-failure.js';

const api = (status: number) =>
  ApiError.from({ status, body: {}, headers: {}, code: 'x', message: 'x' });

describe('classifySendFailure', () => {
  it.each<[string, unknown, ReturnType<typeof classifySendFailure>]>([
    ['a 429', api(429), 'rateLimited'],
    ['a 500', api(500), 'uncertain'],
    ['a 303 (created, see there)', api(303), 'uncertain'],
    ['a 302 (never followed)', api(302), 'refused'],
    ['a 300 (a redirect too)', api(300), 'refused'],
    ['a 400 (the API refused the batch)', api(400), 'refused'],
    ['a 403', api(403), 'refused'],
    ["a proxy's 408 (the API may have it)", api(408), 'uncertain'],
    ['a 499', api(499), 'refused'],
    ['a 503', api(503), 'uncertain'],
    // Not an answer the client can read as a refusal: the request may have been taken.
    ['an error status below 300 (a final 1xx)', api(199), 'uncertain'],
    ['bad input', new InvalidRequestError('x'), 'refused'],
    ['a refused connection', new ConnectionError('x', { nothingSent: true }), 'notSent'],
    ['a reset connection', new ConnectionError('x', { nothingSent: false }), 'uncertain'],
    ['a timeout', new TimeoutError('x'), 'uncertain'],
    // The signer failed before a request was made: nothing left the process, no budget spent.
    ['a signer that failed', new SignerError('x'), 'notSent'],
    ['any other error', new MetadataRefreshError('x'), 'uncertain'],
  ])('%s is %s', (_name, error, expected) => {
    expect(classifySendFailure(error)).toBe(expected);
  });
});
