/**
 * The operator commands of the bin (`request`, `status`, `errors`, `list`, `watch`), as
 * functions over a client and an output stream, returning the process exit code.
 */
import { IMX_BASE_URLS, MetadataRefreshClient } from '../client/client.js';
import {
  AbortError,
  type AcceptedRefresh,
  ApiError,
  ConnectionError,
  InvalidRequestError,
  MetadataRefreshError,
  RateLimitError,
  type RequestProgress,
  TimeoutError,
} from '../errors.js';
import { MAX_PAGE_SIZE } from '../wire/limits.js';
import type { Refresh } from '../wire/mappers.js';
import type { RateLimit } from '../wire/rate-limit.js';
import { readFileLines } from './file-lines.js';
import { budgetLine, localTime, localTimeOf, table, wrapWords, write } from './format.js';
import { refreshProgressBar } from './progress.js';

/** Where a command writes. */
export interface Io {
  /** `columns` is the terminal's width, on a terminal. */
  out: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  err: NodeJS.WritableStream;
  env: Record<string, string | undefined>;
  /**
   * Aborted on the first SIGINT or SIGTERM, for the commands that send several requests
   * (`request`, `zkevm push`): they stop sending and report how far they got. Its `reason` is
   * the signal's name.
   */
  signal?: AbortSignal;
}

/** Options every API command takes. */
export interface ConnectionOptions {
  environment?: string;
  baseUrl?: string;
  json?: boolean;
}

/**
 * Exit codes. `interrupted` and `terminated` (128 + the number of SIGINT or SIGTERM, the
 * shell's convention, as `watch` exits) are returned only after the summary of what was sent
 * is printed.
 */
export const EXIT = { ok: 0, error: 1, someFailed: 2, interrupted: 130, terminated: 143 } as const;

/** The exit code of a command stopped by the signal named `signalName`. */
export function signalExit(signalName: unknown): number {
  return signalName === 'SIGTERM' ? EXIT.terminated : EXIT.interrupted;
}

/** The variable `--base-url` of the Immutable X commands defaults to. */
export const BASE_URL_VARIABLE = 'IMX_BASE_URL';

/**
 * Builds the client from the options and `IMX_PRIVATE_KEY`. Never takes a key from a flag.
 * `IMX_BASE_URL` stands in for `--base-url` when neither `--base-url` nor `--environment` is
 * given: a flag always wins over the environment.
 */
export function clientFrom(options: ConnectionOptions, env: Io['env']): MetadataRefreshClient {
  const key = env.IMX_PRIVATE_KEY;
  if (!key) {
    throw new InvalidRequestError(
      'Set IMX_PRIVATE_KEY to the project owner’s private key (never pass it as a flag: it would land in shell history)',
    );
  }
  if (options.environment !== undefined && options.baseUrl !== undefined) {
    throw new InvalidRequestError('Give --environment or --base-url, not both');
  }
  const baseUrl =
    options.baseUrl ??
    (options.environment === undefined ? env[BASE_URL_VARIABLE] || undefined : undefined);
  if (baseUrl !== undefined) return new MetadataRefreshClient({ signer: key, baseURL: baseUrl });
  const environment = options.environment ?? 'sandbox';
  if (!(environment in IMX_BASE_URLS)) {
    throw new InvalidRequestError(
      `--environment must be production or sandbox, got ${environment}`,
    );
  }
  return new MetadataRefreshClient({
    signer: key,
    environment: environment as keyof typeof IMX_BASE_URLS,
  });
}

/**
 * The `host:port` of a base URL, for naming where a request went: never its user info (a
 * credential may sit there) nor its path. Undefined when it is no URL.
 */
export function hostOf(baseUrl: string): string | undefined {
  try {
    return new URL(baseUrl).host || undefined;
  } catch {
    return undefined;
  }
}

/** A failure to reach the API at all (refused, DNS, reset, a timed-out attempt). */
function unreachable(error: unknown): error is ConnectionError | TimeoutError {
  // A TimeoutError without a method is waitForRefresh's own deadline, not an unanswered request.
  return (
    error instanceof ConnectionError ||
    (error instanceof TimeoutError && error.method !== undefined)
  );
}

/** Why the API could not be reached, in a few words: the system code, or that it timed out. */
function unreachableReason(error: ConnectionError | TimeoutError): string {
  if (error instanceof TimeoutError) return 'timed out';
  return error.code ?? error.message;
}

/**
 * Prints an error the way an operator needs it and returns the exit code. `host` (see
 * {@link hostOf}) is where the command sent its requests: a connection error names it.
 */
export function reportError(error: unknown, io: Io, json = false, host?: string): number {
  const where = host !== undefined && unreachable(error) ? { host } : {};
  if (json) {
    const payload =
      error instanceof ApiError
        ? {
            error: {
              status: error.status,
              code: error.code,
              message: error.apiMessage,
              ...(error.traceId === undefined ? {} : { traceId: error.traceId }),
            },
          }
        : {
            error: {
              name: (error as Error)?.name ?? 'Error',
              message: (error as Error)?.message ?? String(error),
              ...where,
            },
          };
    const extra =
      error instanceof RateLimitError && error.rateLimit
        ? { resetAt: error.rateLimit.resetAt.toISOString() }
        : {};
    const partial =
      error instanceof MetadataRefreshError &&
      error.progress &&
      (error.progress.accepted.length > 0 || error.progress.notSent.length > 0)
        ? {
            accepted: error.progress.accepted,
            notSent: error.progress.notSent,
            uncertain: error.progress.uncertain,
          }
        : {};
    write(io.err, JSON.stringify({ ...payload, ...extra, ...partial }));
    return EXIT.error;
  }
  if (error instanceof RateLimitError) {
    const reset = error.rateLimit?.resetAt;
    write(io.err, `error: ${error.code}: ${error.apiMessage}`);
    write(
      io.err,
      reset ? `The refresh budget resets at ${localTime(reset)}.` : 'The refresh budget is spent.',
    );
  } else if (error instanceof ApiError) {
    write(io.err, `error: ${error.status} ${error.code}: ${error.apiMessage}`);
  } else if (where.host !== undefined && unreachable(error)) {
    write(io.err, `error: could not reach ${where.host} (${unreachableReason(error)})`);
    write(io.err, error.message);
  } else {
    write(io.err, `error: ${error instanceof Error ? error.message : String(error)}`);
  }
  // The zkEVM platform's trace id is what its support asks for.
  if (error instanceof ApiError && error.traceId !== undefined)
    write(io.err, `trace id: ${error.traceId}`);
  if (
    error instanceof MetadataRefreshError &&
    error.progress &&
    (error.progress.accepted.length > 0 || error.progress.notSent.length > 0)
  ) {
    const { accepted, notSent, uncertain } = error.progress;
    // A zkEVM push has no receipt: its tokens are the record.
    for (const a of accepted)
      write(
        io.err,
        'refreshId' in a
          ? `accepted ${a.refreshId} (${a.tokenIds.length} tokens)`
          : `pushed ${a.tokenIds.join(' ')}`,
      );
    if (uncertain.length > 0)
      write(io.err, `uncertain (may have been accepted): ${uncertain.join(' ')}`);
    if (notSent.length > 0) write(io.err, `not sent: ${notSent.join(' ')}`);
  }
  return EXIT.error;
}

/**
 * The longest line `request --from-file` reads. A token id is a short string (a uint256 is 78
 * digits); a longer line is no id, and is refused without reading the rest of it.
 */
export const MAX_TOKEN_ID_LINE_BYTES = 1024;
/**
 * Most ids `request --from-file` takes: a hundred hours of the budget (10 requests of 1000 an
 * hour). An endless input (`yes 1 | … --from-file /dev/stdin`) is refused rather than held.
 */
export const MAX_FILE_TOKEN_IDS = 1_000_000;

/** Reads token ids, one a line (blank lines and `#` comments skipped), streamed and bounded. */
export async function readTokenIds(path: string, maxIds = MAX_FILE_TOKEN_IDS): Promise<string[]> {
  const ids: string[] = [];
  const tooMany = () => `${path} has more than ${maxIds} token ids; nothing requested`;
  const lines = readFileLines(path, {
    maxLineBytes: MAX_TOKEN_ID_LINE_BYTES,
    tooLong: (line) =>
      `${path}: line ${line} is longer than ${MAX_TOKEN_ID_LINE_BYTES} bytes, which no token id is; nothing requested`,
    // Blank and comment lines are not kept, but an endless run of them must end too.
    maxLines: maxIds * 2,
    tooMany,
  });
  for await (const line of lines) {
    const id = line.trim();
    if (id === '' || id.startsWith('#')) continue;
    if (ids.length === maxIds) throw new InvalidRequestError(tooMany());
    ids.push(id);
  }
  return ids;
}

/** `request <collection> [tokenIds...] [--from-file path]` */
export async function requestCommand(
  client: MetadataRefreshClient,
  collection: string,
  tokenIds: string[],
  options: { fromFile?: string; json?: boolean },
  io: Io,
): Promise<number> {
  const ids = [...tokenIds, ...(options.fromFile ? await readTokenIds(options.fromFile) : [])];
  let refreshes: readonly AcceptedRefresh[];
  let rateLimit: RateLimit | undefined;
  try {
    // On an interruption the client sends no further request and aborts the one in flight
    // rather than waiting up to its timeout: whoever pressed Ctrl-C wants the terminal back.
    // An aborted request may still have been accepted, so its ids are printed as uncertain.
    ({ refreshes, rateLimit } = await client.requestRefreshes({
      collectionAddress: collection,
      tokenIds: ids,
      signal: io.signal,
    }));
  } catch (error) {
    const progress = error instanceof MetadataRefreshError ? error.progress : undefined;
    if (!(error instanceof AbortError) || !io.signal?.aborted || progress === undefined) {
      throw error;
    }
    printInterruptedRequest(progress, client.rateLimit, String(io.signal.reason), options, io);
    return signalExit(io.signal.reason);
  }
  if (options.json) {
    write(io.out, JSON.stringify({ refreshes, rateLimit }));
  } else {
    write(
      io.out,
      table(
        ['REFRESH ID', 'TOKENS'],
        refreshes.map((r) => [r.refreshId, r.tokenIds.length]),
      ),
    );
    write(io.out, budgetLine(rateLimit ?? client.rateLimit));
  }
  return EXIT.ok;
}

/** What an interrupted `request` got through: accepted refreshes, uncertain and unsent ids. */
function printInterruptedRequest(
  progress: RequestProgress,
  rateLimit: RateLimit | undefined,
  signalName: string,
  options: { json?: boolean },
  io: Io,
): void {
  const refreshes = progress.accepted.filter((a): a is AcceptedRefresh => 'refreshId' in a);
  const { uncertain, notSent } = progress;
  if (options.json) {
    write(
      io.out,
      JSON.stringify({ refreshes, rateLimit, uncertain, notSent, interrupted: signalName }),
    );
    return;
  }
  write(
    io.out,
    `Interrupted (${signalName}): stopped sending; ${refreshes.length} refresh requests accepted, ${uncertain.length} token ids uncertain, ${notSent.length} not sent.`,
  );
  if (refreshes.length > 0) {
    write(
      io.out,
      table(
        ['REFRESH ID', 'TOKENS'],
        refreshes.map((r) => [r.refreshId, r.tokenIds.length]),
      ),
    );
  }
  if (uncertain.length > 0)
    write(io.out, `Uncertain (may have been accepted; check with list): ${uncertain.join(' ')}`);
  if (notSent.length > 0) write(io.out, `Not sent: ${notSent.join(' ')}`);
  write(io.out, budgetLine(rateLimit));
}

function refreshRows(refresh: Refresh): (string | number | null)[][] {
  return [
    ['refresh', refresh.refreshId],
    ['status', refresh.status],
    ['collection', refresh.collectionAddress],
    ['started', localTimeOf(refresh.startedAt)],
    ['completed', localTimeOf(refresh.completedAt)],
    ['succeeded', refresh.summary.succeeded],
    ['failed', refresh.summary.failed],
    ['pending', refresh.summary.pending],
  ];
}

/** `status <refreshId>` */
export async function statusCommand(
  client: MetadataRefreshClient,
  refreshId: string,
  options: { json?: boolean },
  io: Io,
): Promise<number> {
  const refresh = await client.getRefresh(refreshId);
  if (options.json) write(io.out, JSON.stringify(refresh));
  else write(io.out, table(['FIELD', 'VALUE'], refreshRows(refresh)));
  return EXIT.ok;
}

/** `errors <refreshId>`: every page; JSON lines with --json. */
export async function errorsCommand(
  client: MetadataRefreshClient,
  refreshId: string,
  options: { json?: boolean },
  io: Io,
): Promise<number> {
  if (options.json) {
    for await (const error of client.iterateRefreshErrors(refreshId, { pageSize: MAX_PAGE_SIZE })) {
      write(io.out, JSON.stringify(error));
    }
    return EXIT.ok;
  }
  const rows: (string | number | null)[][] = [];
  for await (const e of client.iterateRefreshErrors(refreshId, { pageSize: MAX_PAGE_SIZE })) {
    const body =
      e.clientResponseBody === null ? null : JSON.stringify(e.clientResponseBody.slice(0, 60));
    rows.push([e.tokenId, e.errorCode, e.clientResponseStatusCode, body]);
  }
  write(
    io.out,
    rows.length === 0 ? 'No failed tokens.' : table(['TOKEN', 'ERROR', 'STATUS', 'BODY'], rows),
  );
  return EXIT.ok;
}

/** `list [--collection address] [--limit n]` */
export async function listCommand(
  client: MetadataRefreshClient,
  options: { collection?: string; limit: number; json?: boolean },
  io: Io,
): Promise<number> {
  const items = [];
  for await (const item of client.iterateRefreshes({
    collectionAddress: options.collection,
    pageSize: Math.min(options.limit, MAX_PAGE_SIZE),
  })) {
    items.push(item);
    if (items.length >= options.limit) break;
  }
  if (options.json) {
    write(io.out, JSON.stringify(items));
  } else {
    write(
      io.out,
      items.length === 0
        ? 'No refreshes.'
        : table(
            ['REFRESH ID', 'STATUS', 'COLLECTION', 'STARTED', 'COMPLETED'],
            items.map((r) => [
              r.refreshId,
              r.status,
              r.collectionAddress,
              localTimeOf(r.startedAt),
              localTimeOf(r.completedAt),
            ]),
          ),
    );
  }
  return EXIT.ok;
}

/** `watch <refreshId>`: progress until completed; exit 0 when none failed, 2 when some did. */
export async function watchCommand(
  client: MetadataRefreshClient,
  refreshId: string,
  options: { json?: boolean; intervalMs: number },
  io: Io,
): Promise<number> {
  const bar = io.out.isTTY && !options.json ? refreshProgressBar(io.out) : undefined;
  let started = false;
  // The bar hides the cursor and turns line wrap off; every way out turns both back on.
  const restore = () => {
    if (!bar) return;
    if (started) bar.stop();
    io.out.write('\x1b[?25h\x1b[?7h');
  };
  const onSignal = (signal: NodeJS.Signals) => {
    restore();
    // The shell's convention: 128 + the signal's number (SIGINT 2, SIGTERM 15).
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  if (bar) {
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  }
  let refresh: Refresh;
  try {
    refresh = await client.waitForRefresh(refreshId, {
      pollIntervalMs: options.intervalMs,
      maxPollIntervalMs: Math.max(options.intervalMs, 30_000),
      onProgress: (r) => {
        const total = r.summary.succeeded + r.summary.failed + r.summary.pending;
        const done = r.summary.succeeded + r.summary.failed;
        if (options.json) return; // one document at the end
        if (bar) {
          if (!started) bar.start(total, done, { status: r.status, ...r.summary });
          else bar.update(done, { status: r.status, ...r.summary });
        } else {
          write(
            io.out,
            `${r.status}: ${r.summary.succeeded} succeeded, ${r.summary.failed} failed, ${r.summary.pending} pending`,
          );
        }
        started = true;
      },
    });
  } finally {
    if (bar) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    restore();
  }
  if (options.json) write(io.out, JSON.stringify(refresh));
  else {
    // Under the bar, fitted like it: a narrow terminal would cut the id mid-way.
    const say = (line: string) => write(io.out, wrapWords(line, bar ? io.out.columns : undefined));
    say(`Refresh ${refresh.refreshId} completed at ${localTimeOf(refresh.completedAt) ?? '-'}`);
    if (refresh.summary.failed > 0) say(`Run: imx-metadata-refresh errors ${refresh.refreshId}`);
  }
  return refresh.summary.failed > 0 ? EXIT.someFailed : EXIT.ok;
}
