/** The default `onError` of the reference service and its adapters. */
import type { ServiceErrorContext } from './types.js';

/**
 * Writes one line to stderr: where the bug happened (method and path, or the worker) and the
 * error's stack. Never the request's headers, query or body, so never a credential. Never
 * throws.
 */
export function logServiceError(error: unknown, context: ServiceErrorContext): void {
  const where =
    context.source === 'request' ? `${context.method ?? '?'} ${context.path ?? '?'}` : 'the worker';
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(
    `imx-metadata-refresh reference service: internal error in ${where}: ${detail}\n`,
  );
}
