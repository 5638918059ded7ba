/**
 * What a failed refresh POST means for its batch. The distinction that matters is whether the
 * server may have accepted it: such a send is reconciled before anything is resent, because a
 * blind resend spends another unit of a 10-an-hour budget on the same ids.
 */
import {
  ApiError,
  ConnectionError,
  InvalidRequestError,
  RateLimitError,
  SignerError,
} from '../errors.js';

/**
 * - `rateLimited`: a 429; the batch goes back untouched until the reset.
 * - `refused`: the API (or the client's own checks) refused the batch for good; resending
 *   would fail the same way.
 * - `notSent`: the request provably never left this process; send again later.
 * - `uncertain`: it may have been accepted (a timeout, a broken connection, 5xx, 408, a 202
 *   whose body could not be read): reconcile first.
 */
export type SendFailure = 'rateLimited' | 'refused' | 'notSent' | 'uncertain';

/** Classifies the error a refresh POST rejected with. */
export function classifySendFailure(error: unknown): SendFailure {
  if (error instanceof RateLimitError) return 'rateLimited';
  if (error instanceof ApiError) {
    // A proxy's 408 or a 5xx may come after the API accepted the request, and a 303 says
    // "created, see there".
    if (error.status === 408 || error.status === 303 || error.status >= 500) return 'uncertain';
    // Any other redirect is never followed (it would carry the signed request elsewhere), and a
    // misconfigured proxy answers the same every time: resending would spend budget forever.
    if (error.status >= 300) return 'refused';
    return 'uncertain';
  }
  if (error instanceof InvalidRequestError) return 'refused';
  if (error instanceof ConnectionError && error.nothingSent) return 'notSent';
  // The signer failed before the request was made: nothing left this process.
  if (error instanceof SignerError) return 'notSent';
  return 'uncertain';
}
