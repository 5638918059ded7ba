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
