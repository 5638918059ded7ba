/** Bad client options are refused at construction, with a message naming the option. */
import { describe, expect, it } from 'vitest';
import {
  InvalidRequestError,
  MetadataRefreshClient,
  type MetadataRefreshClientOptions,
} from '../../src/index.js';
import { BASE_URL, PRIVATE_KEY } from '../support/fixtures.js';

function construct(options: Record<string, unknown>) {
  return () =>
    new MetadataRefreshClient({
      signer: PRIVATE_KEY,
      ...options,
    } as unknown as MetadataRefreshClientOptions);
}

describe('client options', () => {
  it.each([
    // Found up the prototype chain of the environments object before: a later ConnectionError.
    ['environment toString', { environment: 'toString' }, /environment must be/],
    ['environment constructor', { environment: 'constructor' }, /environment must be/],
    ['environment __proto__', { environment: '__proto__' }, /environment must be/],
    ['environment hasOwnProperty', { environment: 'hasOwnProperty' }, /environment must be/],
    ['environment of another type', { environment: 1 }, /environment must be/],
    ['a baseURL that is not a string', { baseURL: 42 }, /baseURL must be a string/],
    ['a baseURL that is not a URL', { baseURL: 'api.x.immutable.com' }, /not a valid URL/],
    ['a baseURL of another scheme', { baseURL: 'file:///etc/passwd' }, /http or https/],
    ['timeoutMs 0', { baseURL: BASE_URL, timeoutMs: 0 }, /timeoutMs/],
    ['timeoutMs NaN', { baseURL: BASE_URL, timeoutMs: Number.NaN }, /timeoutMs/],
    ['timeoutMs Infinity', { baseURL: BASE_URL, timeoutMs: Number.POSITIVE_INFINITY }, /timeoutMs/],
    ['timeoutMs past the timer limit', { baseURL: BASE_URL, timeoutMs: 2 ** 31 }, /at most/],
    ['maxRetries 1.5', { baseURL: BASE_URL, maxRetries: 1.5 }, /maxRetries/],
    ['maxRetries as a string', { baseURL: BASE_URL, maxRetries: '2' }, /maxRetries/],
    ['maxResponseBytes 0', { baseURL: BASE_URL, maxResponseBytes: 0 }, /maxResponseBytes/],
    ['maxResponseBytes -1', { baseURL: BASE_URL, maxResponseBytes: -1 }, /maxResponseBytes/],
    ['maxResponseBytes 1.5', { baseURL: BASE_URL, maxResponseBytes: 1.5 }, /maxResponseBytes/],
    [
      'maxResponseBytes NaN',
      { baseURL: BASE_URL, maxResponseBytes: Number.NaN },
      /maxResponseBytes/,
    ],
    ['a clock without sleep', { baseURL: BASE_URL, clock: { now: () => 0 } }, /clock/],
    ['an axiosInstance that is not one', { baseURL: BASE_URL, axiosInstance: {} }, /axiosInstance/],
    [
      'an onResponse that is not a function',
      { baseURL: BASE_URL, onResponse: 'log' },
      /onResponse/,
    ],
  ])('refuses %s with InvalidRequestError', (_, options, message) => {
    const make = construct(options);
    expect(make).toThrow(InvalidRequestError);
    expect(make).toThrow(message);
  });

  it('takes the documented values', () => {
    expect(
      construct({ environment: 'sandbox', maxResponseBytes: 1, timeoutMs: 2 ** 31 - 1 })().baseURL,
    ).toBe('https://api.sandbox.x.immutable.com');
    expect(construct({ baseURL: `${BASE_URL}/`, maxRetries: 0 })().baseURL).toBe(BASE_URL);
  });

  // exactOptionalPropertyTypes users pass `{ timeoutMs: config.timeoutMs }`: undefined is "not set".
  it('treats an option given as undefined as not given', () => {
    const client = construct({
      environment: 'sandbox',
      baseURL: undefined,
      timeoutMs: undefined,
      maxRetries: undefined,
      maxResponseBytes: undefined,
      axiosInstance: undefined,
      clock: undefined,
      onResponse: undefined,
    })();

    expect(client.baseURL).toBe('https://api.sandbox.x.immutable.com');
  });
});
