/**
 * The zkEVM commands of the bin (`zkevm push`, `get`, `list`, `metadata`, `list-metadata`,
 * `collection`, `refresh-collection`), as functions over a
 * client and an output stream, returning the process exit code, like `commands.ts`.
 */
import type { SingleBar } from 'cli-progress';
import type { ResponseInfo } from '../client/transport.js';
import { ZkEvmMetadataClient } from '../client/zkevm-client.js';
import {
  AbortError,
  ApiError,
  InvalidRequestError,
  MetadataRefreshError,
  RateLimitError,
} from '../errors.js';
import {
  type MetadataApiReader,
  metadataApiReader,
  readMetadataApi,
  type TokenRead,
} from '../scheduler/sources/metadata-api-source.js';
import { tokenIdListProblem } from '../wire/token-id.js';
import { chunkRefreshItems } from '../wire/zkevm/chunk.js';
import {
  CONTRACT_ADDRESS_PATTERN,
  MAX_ITEM_BYTES,
  MAX_NFTS_PER_REFRESH,
  MAX_PAGE_SIZE,
  uint256Problem,
  ZKEVM_ENVIRONMENTS,
} from '../wire/zkevm/limits.js';
import {
  type CollectionMetadata,
  metadataPushFromJson,
  type Nft,
  type NftMetadataRefresh,
  nftMetadataRefreshToWire,
  type StackedMetadata,
} from '../wire/zkevm/mappers.js';
import type { ZkEvmRateLimit } from '../wire/zkevm/rate-limit.js';
import { EXIT, type Io, signalExit } from './commands.js';
import { readFileLines } from './file-lines.js';
import { budgetLine, localTime, localTimeOf, table, write } from './format.js';
import { fittingBar } from './progress.js';

/** Options every zkEVM command takes. */
export interface ZkEvmConnectionOptions {
  /** `production` or `sandbox` (default). */
  environment?: string;
  /** Any base URL instead, with {@link chainName}. */
  baseUrl?: string;
  /** The `chain_name` path segment with `baseUrl`. */
  chainName?: string;
  json?: boolean;
  /** Refused: the key is read from `IMMUTABLE_API_KEY` only. */
  apiKey?: unknown;
}

/** A client, and a way to hear each answer it receives (the push progress bar counts them). */
export interface ZkEvmConnection {
  client: ZkEvmMetadataClient;
  /** Replaces the listener told of every HTTP answer (status and headers, never the key). */
  onResponse(listener: ((info: ResponseInfo) => void) | undefined): void;
}

/** The variable the API key is read from. */
export const API_KEY_VARIABLE = 'IMMUTABLE_API_KEY';

/** The variables `--base-url` and `--chain-name` of the zkEVM commands default to. */
export const BASE_URL_VARIABLE = 'IMMUTABLE_BASE_URL';
export const CHAIN_NAME_VARIABLE = 'IMMUTABLE_CHAIN_NAME';

/**
 * Builds the client from the options and `IMMUTABLE_API_KEY`. Never takes the key from a flag
 * (it would land in shell history and `ps`), and never puts it in a message.
 * `IMMUTABLE_BASE_URL` stands in for `--base-url` when neither `--base-url` nor `--environment`
 * is given, and `IMMUTABLE_CHAIN_NAME` for `--chain-name` with a base URL: a flag always wins.
 */
export function zkEvmConnect(
  given: ZkEvmConnectionOptions,
  env: Io['env'],
  overrides: { timeoutMs?: number; maxRetries?: number } = {},
): ZkEvmConnection {
  const baseUrl =
    given.baseUrl ??
    (given.environment === undefined ? env[BASE_URL_VARIABLE] || undefined : undefined);
  const options: ZkEvmConnectionOptions = {
    ...given,
    baseUrl,
    chainName:
      given.chainName ??
      (baseUrl === undefined ? undefined : env[CHAIN_NAME_VARIABLE] || undefined),
  };
  if (options.apiKey !== undefined) {
    throw new InvalidRequestError(
      `zkevm commands read the API key only from ${API_KEY_VARIABLE}, never from a flag (it would land in shell history and the process list)`,
    );
  }
  const apiKey = env[API_KEY_VARIABLE];
  if (!apiKey) {
    throw new InvalidRequestError(
      `Set ${API_KEY_VARIABLE} to the project's secret API key (sk_imapik-...) from the Hub (never pass it as a flag: it would land in shell history)`,
    );
  }
  if (options.environment !== undefined && options.baseUrl !== undefined) {
    throw new InvalidRequestError('Give --environment or --base-url, not both');
  }
  if (options.chainName !== undefined && options.baseUrl === undefined) {
    throw new InvalidRequestError(
      '--chain-name goes with --base-url (each --environment has its own chain)',
    );
  }
  if (options.baseUrl !== undefined && options.chainName === undefined) {
    throw new InvalidRequestError(
      `--base-url needs --chain-name or ${CHAIN_NAME_VARIABLE} (${Object.values(ZKEVM_ENVIRONMENTS)
        .map((e) => e.chainName)
        .join(' or ')})`,
    );
  }
  const environment =
    options.baseUrl === undefined ? (options.environment ?? 'sandbox') : undefined;
  if (environment !== undefined && !Object.hasOwn(ZKEVM_ENVIRONMENTS, environment)) {
    throw new InvalidRequestError(
      `--environment must be production or sandbox, got ${environment}`,
    );
  }
  let listener: ((info: ResponseInfo) => void) | undefined;
  const client = new ZkEvmMetadataClient({
    apiKey,
    ...(environment === undefined
      ? { baseURL: options.baseUrl, chainName: options.chainName }
      : { environment: environment as keyof typeof ZKEVM_ENVIRONMENTS }),
    ...overrides,
    onResponse: (info) => listener?.(info),
  });
  return {
    client,
    onResponse: (next) => {
      listener = next;
    },
  };
}

function assertContractAddress(value: string): void {
  if (!CONTRACT_ADDRESS_PATTERN.test(value)) {
    throw new InvalidRequestError(
      `contract address must be 0x and 40 hex characters, got ${JSON.stringify(value.slice(0, 80))}`,
    );
  }
}

function assertTokenIds(tokenIds: readonly string[]): void {
  const problem = tokenIdListProblem(tokenIds, { idProblem: uint256Problem });
  if (problem?.kind === 'invalid') {
    const [{ value, problem: why }] = problem.items;
    throw new InvalidRequestError(`token id ${JSON.stringify(String(value).slice(0, 80))} ${why}`);
  }
  if (problem?.kind === 'repeated') {
    throw new InvalidRequestError(`token id ${problem.repeats[0].id} is given twice`);
  }
}

/** A token that was not pushed, and why. */
export interface NotPushed {
  tokenId: string;
  /**
   * Reading its metadata: `unable_to_retrieve_metadata` (no answer within 3 s, twice),
   * `invalid_response_status_code`, `unable_to_decode_response` (not a JSON object),
   * `invalid_metadata` (a JSON object the platform would refuse) or `metadata_too_large` (over
   * 16 KiB as pushed): the scheduler's `metadataApiSource` codes. Pushing: the API's code
   * (`TOO_MANY_REQUESTS_ERROR`, …) or the error's name.
   */
  code: string;
  /** The Metadata API's HTTP status, when it answered. */
  statusCode?: number | null;
  /** What went wrong, for a person. */
  message: string;
}

/** What `zkevm push` did. */
export interface PushReport {
  contractAddress: string;
  /** Token ids the platform accepted, in input order. */
  pushed: string[];
  /** Refresh requests accepted (each spends one of the hourly budget). */
  requests: number;
  /** Tokens not pushed, with why. */
  notPushed: NotPushed[];
  /** Token ids of a request that failed after it may have reached the platform. */
  uncertain: string[];
  /** Keys of a Metadata API document the platform has no field for, per token (not pushed). */
  ignoredKeys: { tokenId: string; keys: string[] }[];
  /** The budget as last reported. */
  rateLimit: ZkEvmRateLimit | undefined;
  /** The error that stopped the push part-way, if one did. */
  error?: MetadataRefreshError;
  /**
   * The signal (`SIGINT`, `SIGTERM`) that stopped the push part-way, if one did: `notPushed`
   * holds what was not sent (code `INTERRUPTED`), `uncertain` the request it cut short.
   */
  interrupted?: string;
}

/** Where `zkevm push` reads the metadata. */
export interface PushSource {
  /** The Metadata API base URL: token `N` is read from `${fromMetadataApi}/N`. */
  fromMetadataApi?: string;
  /** A JSON-lines file: one NFT per line in the wire's snake_case. */
  fromFile?: string;
  /** Tokens read from the Metadata API at once. Default 8. */
  concurrency?: number;
}

/**
 * The longest line `--from-file` reads: four times the platform's 16 KiB item limit, room for
 * whitespace and `\u` escapes (each item is still checked at 16 KiB as sent). A longer line is
 * refused as soon as it passes this, without reading the rest of it into memory.
 */
export const MAX_FILE_LINE_BYTES = 4 * MAX_ITEM_BYTES;

/** The lines of a `--from-file` JSON-lines file, each at most {@link MAX_FILE_LINE_BYTES}. */
function nftFileLines(path: string): AsyncGenerator<string> {
  return readFileLines(path, {
    maxLineBytes: MAX_FILE_LINE_BYTES,
    tooLong: (line) =>
      `${path}: line ${line} is longer than ${MAX_FILE_LINE_BYTES / 1024} KiB (an NFT takes at most ${MAX_ITEM_BYTES / 1024} KiB), nothing pushed`,
  });
}

/**
 * One push item per line; every bad line is named (by number, the first 10 shown) and nothing
 * is returned.
 */
export async function parseNftLines(
  lines: Iterable<string> | AsyncIterable<string>,
  label: string,
): Promise<NftMetadataRefresh[]> {
  const nfts: NftMetadataRefresh[] = [];
  const problems: string[] = [];
  let problemCount = 0;
  const problem = (text: string) => {
    problemCount += 1;
    if (problems.length < 10) problems.push(text);
  };
  const lineOf = new Map<string, number>();
  let number = 0;
  for await (const raw of lines) {
    number += 1;
    const line = raw.trim();
    if (line === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      problem(`line ${number}: not JSON (${(error as Error).message})`);
      continue;
    }
    const result = metadataPushFromJson(value);
    if (!result.ok) {
      problem(`line ${number}: ${result.problem}`);
      continue;
    }
    const first = lineOf.get(result.nft.tokenId);
    if (first !== undefined) {
      problem(`line ${number}: token_id ${result.nft.tokenId} repeats line ${first}`);
      continue;
    }
    lineOf.set(result.nft.tokenId, number);
    nfts.push(result.nft);
  }
  if (problemCount > 0) {
    const shown = problems.map((p) => `  ${p}`);
    if (problemCount > 10) shown.push(`  … and ${problemCount - 10} more`);
    throw new InvalidRequestError(
      `${label}: ${problemCount} bad line${problemCount === 1 ? '' : 's'}, nothing pushed:\n${shown.join('\n')}`,
    );
  }
  if (nfts.length === 0) throw new InvalidRequestError(`${label}: no NFTs in the file`);
  return nfts;
}

/** A token left unsent by an interruption. */
function interruptedNotSent(tokenId: string): NotPushed {
  return { tokenId, code: INTERRUPTED, message: 'interrupted before it was sent' };
}

/** A token the Metadata API read could not give a push for, in an operator's words. */
function notPushedOf(
  tokenId: string,
  read: Extract<TokenRead, { ok: false }>,
  reader: MetadataApiReader,
): NotPushed {
  const { errorCode: code, statusCode } = read.error;
  const body = read.body ? JSON.stringify(read.body.slice(0, 60)) : '';
  const message =
    read.problem ??
    (code === 'unable_to_retrieve_metadata'
      ? `no answer (${reader.attempts} attempts of ${reader.timeoutMs / 1000} s)`
      : code === 'invalid_response_status_code'
        ? `HTTP ${statusCode}${body ? ` ${body}` : ''}`
        : `not a JSON object${body ? `: ${body}` : ''}`);
  return { tokenId, code, statusCode, message };
}

function progressBar(io: Io, json: boolean | undefined): SingleBar | undefined {
  return io.out.isTTY && !json
    ? fittingBar<{ phase: string }>(io.out, (value, total, { phase }) => [
        `${value}/${total} tokens | ${phase}`,
        // `reading` or `pushing`
        `${value}/${total} tokens | ${phase.split(' ')[0]}`,
        `${value}/${total} tokens`,
      ])
    : undefined;
}

/** The code of a token not sent because the command was interrupted. */
export const INTERRUPTED = 'INTERRUPTED';

/** The signal's name that `signal` was aborted with, e.g. `SIGINT`. */
function interruptedBy(signal: AbortSignal): string {
  return typeof signal.reason === 'string' ? signal.reason : 'interrupted';
}

function whyNotSent(error: MetadataRefreshError): { code: string; message: string } {
  if (error instanceof RateLimitError) {
    const reset = error.rateLimit?.resetAt;
    return {
      code: error.code,
      message: reset ? `budget spent until ${localTime(reset)}` : 'budget spent',
    };
  }
  if (error instanceof ApiError) return { code: error.code, message: error.apiMessage };
  return { code: error.name, message: error.message };
}

/**
 * Reads the metadata (from a Metadata API or a file) and pushes it with
 * `refreshNftsMetadata`. Throws only when nothing could be pushed for a reason that is not a
 * token's (bad input, a wrong key, a spent budget before the first request).
 */
export async function pushNfts(
  connection: ZkEvmConnection,
  contractAddress: string,
  tokenIds: readonly string[],
  source: PushSource,
  io: Io,
  json?: boolean,
): Promise<PushReport> {
  const { client } = connection;
  assertContractAddress(contractAddress);
  if ((source.fromMetadataApi === undefined) === (source.fromFile === undefined)) {
    throw new InvalidRequestError(
      'Give exactly one of --from-metadata-api <baseUrl> or --from-file <nfts.jsonl>',
    );
  }
  const report: PushReport = {
    contractAddress,
    pushed: [],
    requests: 0,
    notPushed: [],
    uncertain: [],
    ignoredKeys: [],
    rateLimit: undefined,
  };
  let nfts: NftMetadataRefresh[];
  const bar = progressBar(io, json);
  try {
    if (source.fromFile !== undefined) {
      if (tokenIds.length > 0) {
        throw new InvalidRequestError(
          'With --from-file the file names the tokens: give no token ids',
        );
      }
      nfts = await parseNftLines(nftFileLines(source.fromFile), source.fromFile);
      bar?.start(nfts.length, 0, { phase: 'pushing' });
    } else {
      const base = source.fromMetadataApi as string;
      if (tokenIds.length === 0) {
        throw new InvalidRequestError('Give the token ids to read from the Metadata API');
      }
      assertTokenIds(tokenIds);
      // The scheduler's reader: the Immutable X service's rules (3 s, one retry, 1 MiB).
      const reader = metadataApiReader(
        { baseUrl: base, concurrency: source.concurrency ?? 8 },
        '--from-metadata-api',
      );
      if (!/^https?:$/.test(new URL(base).protocol))
        throw new InvalidRequestError(`--from-metadata-api: ${base} is not an http(s) URL`);
      let read = 0;
      bar?.start(tokenIds.length, 0, { phase: 'reading the Metadata API' });
      // An interruption stops the reads (nothing is pushed then); otherwise each read ends
      // within its attempts and timeouts.
      const reads = await readMetadataApi(
        reader,
        contractAddress,
        tokenIds,
        io.signal ?? new AbortController().signal,
        () => bar?.update(++read),
      );
      if (io.signal?.aborted) {
        report.interrupted = interruptedBy(io.signal);
        for (const tokenId of tokenIds) report.notPushed.push(interruptedNotSent(tokenId));
        return report;
      }
      nfts = [];
      for (const tokenId of tokenIds) {
        const outcome = reads.get(tokenId) as TokenRead;
        if (outcome.ok) {
          nfts.push(outcome.nft);
          if (outcome.ignoredKeys.length > 0)
            report.ignoredKeys.push({ tokenId, keys: outcome.ignoredKeys });
        } else report.notPushed.push(notPushedOf(tokenId, outcome, reader));
      }
      bar?.update(0, { phase: 'pushing' });
      bar?.setTotal(nfts.length);
    }
    if (nfts.length === 0) {
      report.rateLimit = client.rateLimit;
      return report;
    }
    if (io.signal?.aborted) {
      report.interrupted = interruptedBy(io.signal);
      for (const { tokenId } of nfts) report.notPushed.push(interruptedNotSent(tokenId));
      report.rateLimit = client.rateLimit;
      return report;
    }
    // The k-th accepted push carries the k-th chunk, as `refreshNftsMetadata` packs them.
    const sizes = chunkRefreshItems(
      nfts.map(nftMetadataRefreshToWire),
      MAX_NFTS_PER_REFRESH,
    ).chunks.map((c) => c.length);
    let answered = 0;
    let pushedCount = 0;
    connection.onResponse((info) => {
      if (info.method === 'POST' && info.status === 202) {
        pushedCount += sizes[answered++] ?? 0;
        bar?.update(pushedCount);
      }
    });
    try {
      // On an interruption the client sends no further request and aborts the one in flight
      // rather than waiting for it: a push can take up to the transport's timeout (with its
      // retries), and whoever pressed Ctrl-C wants the terminal back now. Whether an aborted
      // push reached the platform cannot be known, so its ids come back in
      // `progress.uncertain`, printed as such (check them with `zkevm get`): none is lost.
      const { requests, rateLimit } = await client.refreshNftsMetadata({
        contractAddress,
        nfts,
        signal: io.signal,
      });
      report.pushed = requests.flatMap((r) => r.tokenIds);
      report.requests = requests.length;
      report.rateLimit = rateLimit ?? client.rateLimit;
    } catch (error) {
      const progress = error instanceof MetadataRefreshError ? error.progress : undefined;
      // Interrupted: whatever got through is reported, even nothing (the exit code says why).
      const interrupted = error instanceof AbortError && io.signal?.aborted === true;
      if (
        !progress ||
        !(error instanceof MetadataRefreshError) ||
        error instanceof InvalidRequestError ||
        (!interrupted && progress.accepted.length === 0 && progress.uncertain.length === 0)
      ) {
        throw error;
      }
      report.pushed = progress.accepted.flatMap((a) => a.tokenIds);
      report.requests = progress.accepted.length;
      report.uncertain = [...progress.uncertain];
      report.rateLimit = client.rateLimit;
      if (interrupted) {
        report.interrupted = interruptedBy(io.signal as AbortSignal);
        for (const tokenId of progress.notSent) report.notPushed.push(interruptedNotSent(tokenId));
      } else {
        const why = whyNotSent(error);
        for (const tokenId of progress.notSent) report.notPushed.push({ tokenId, ...why });
        report.error = error;
      }
    } finally {
      connection.onResponse(undefined);
    }
    return report;
  } finally {
    bar?.stop();
  }
}

function rateLimitJson(rateLimit: ZkEvmRateLimit | undefined) {
  return rateLimit === undefined
    ? null
    : {
        limit: rateLimit.limit,
        remaining: rateLimit.remaining,
        resetAt: rateLimit.resetAt.toISOString(),
        retryAfterMs: rateLimit.retryAfterMs ?? null,
      };
}

/** Prints a push report: what was pushed, what was not and why, the budget left. */
export function printPushReport(report: PushReport, io: Io, json?: boolean): void {
  if (json) {
    const { error, rateLimit, ...rest } = report;
    write(
      io.out,
      JSON.stringify({
        ...rest,
        rateLimit: rateLimitJson(rateLimit),
        ...(error === undefined
          ? {}
          : {
              error:
                error instanceof ApiError
                  ? { status: error.status, code: error.code, message: error.apiMessage }
                  : { name: error.name, message: error.message },
            }),
      }),
    );
    return;
  }
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  if (report.interrupted !== undefined) {
    write(
      io.out,
      `Interrupted (${report.interrupted}): stopped sending; ${report.pushed.length} pushed, ${report.uncertain.length} uncertain, ${report.notPushed.filter((n) => n.code === INTERRUPTED).length} not sent.`,
    );
  }
  write(
    io.out,
    report.pushed.length === 0
      ? 'Pushed nothing.'
      : `Pushed ${plural(report.pushed.length, 'NFT')} in ${plural(report.requests, 'request')}: ${report.pushed.join(' ')}`,
  );
  if (report.notPushed.length > 0) {
    write(io.out, `Not pushed: ${plural(report.notPushed.length, 'NFT')}`);
    write(
      io.out,
      table(
        ['TOKEN', 'WHY', 'DETAIL'],
        report.notPushed.map((n) => [n.tokenId, n.code, n.message]),
      ),
    );
  }
  if (report.uncertain.length > 0) {
    write(
      io.out,
      `Uncertain (may have been pushed; check with zkevm get): ${report.uncertain.join(' ')}`,
    );
  }
  for (const { tokenId, keys } of report.ignoredKeys) {
    write(
      io.out,
      `token ${tokenId}: keys the platform has no field for, not pushed: ${keys.join(', ')}`,
    );
  }
  if (report.error) {
    const { code, message } = whyNotSent(report.error);
    write(io.err, `error: ${code}: ${message}`);
  }
  write(io.out, `Budget: ${budgetLine(report.rateLimit)}`);
}

/** `zkevm push <contractAddress> [tokenIds...] (--from-metadata-api <url> | --from-file <path>)` */
export async function zkevmPushCommand(
  connection: ZkEvmConnection,
  contractAddress: string,
  tokenIds: readonly string[],
  options: PushSource & { json?: boolean },
  io: Io,
): Promise<number> {
  const report = await pushNfts(connection, contractAddress, tokenIds, options, io, options.json);
  printPushReport(report, io, options.json);
  if (report.interrupted !== undefined) return signalExit(report.interrupted);
  return report.notPushed.length > 0 || report.uncertain.length > 0 ? EXIT.someFailed : EXIT.ok;
}

function attributesText(nft: Nft): string | null {
  return nft.attributes.length === 0
    ? null
    : nft.attributes.map((a) => `${a.traitType}=${String(a.value)}`).join(', ');
}

/** `zkevm get <contractAddress> <tokenId>` */
export async function zkevmGetCommand(
  connection: ZkEvmConnection,
  contractAddress: string,
  tokenId: string,
  options: { json?: boolean },
  io: Io,
): Promise<number> {
  const nft = await connection.client.getNft({ contractAddress, tokenId });
  if (options.json) {
    write(io.out, JSON.stringify(nft));
    return EXIT.ok;
  }
  write(
    io.out,
    table(
      ['FIELD', 'VALUE'],
      [
        ['token', nft.tokenId],
        ['contract', `${nft.contractAddress} (${nft.contractType})`],
        ['chain', nft.chain.name],
        ['name', nft.name],
        ['description', nft.description],
        ['image', nft.image],
        ['external_url', nft.externalUrl],
        ['animation_url', nft.animationUrl],
        ['youtube_url', nft.youtubeUrl],
        ['attributes', attributesText(nft)],
        ['metadata_id', nft.metadataId],
        ['metadata_synced_at', localTimeOf(nft.metadataSyncedAt)],
        ['updated_at', localTimeOf(nft.updatedAt)],
        ['indexed_at', localTimeOf(nft.indexedAt)],
      ],
    ),
  );
  return EXIT.ok;
}

/** `zkevm list <contractAddress> [--from-updated-at iso] [--metadata-id uuid] [--limit n]` */
export async function zkevmListCommand(
  connection: ZkEvmConnection,
  contractAddress: string,
  options: { fromUpdatedAt?: string; metadataId?: string; limit: number; json?: boolean },
  io: Io,
): Promise<number> {
  const nfts: Nft[] = [];
  for await (const nft of connection.client.iterateNfts({
    contractAddress,
    // Filtered here, page by page: full pages then, however few are shown.
    pageSize:
      options.metadataId === undefined ? Math.min(options.limit, MAX_PAGE_SIZE) : MAX_PAGE_SIZE,
    ...(options.fromUpdatedAt === undefined ? {} : { fromUpdatedAt: options.fromUpdatedAt }),
    ...(options.metadataId === undefined ? {} : { metadataId: options.metadataId }),
  })) {
    nfts.push(nft);
    if (nfts.length >= options.limit) break;
  }
  if (options.json) {
    write(io.out, JSON.stringify(nfts));
    return EXIT.ok;
  }
  write(
    io.out,
    nfts.length === 0
      ? 'No NFTs.'
      : table(
          ['TOKEN', 'NAME', 'METADATA SYNCED AT', 'UPDATED AT'],
          nfts.map((n) => [
            n.tokenId,
            n.name,
            localTimeOf(n.metadataSyncedAt),
            localTimeOf(n.updatedAt),
          ]),
        ),
  );
  return EXIT.ok;
}

/** `zkevm metadata <contractAddress> <metadataId>`: one stacked metadata. */
export async function zkevmMetadataCommand(
  connection: ZkEvmConnection,
  contractAddress: string,
  metadataId: string,
  options: { json?: boolean },
  io: Io,
): Promise<number> {
  const stack = await connection.client.getMetadata({ contractAddress, metadataId });
  if (options.json) {
    write(io.out, JSON.stringify(stack));
    return EXIT.ok;
  }
  write(
    io.out,
    table(
      ['FIELD', 'VALUE'],
      [
        ['metadata_id', stack.id],
        ['contract', stack.contractAddress],
        ['chain', stack.chain.name],
        ['name', stack.name],
        ['description', stack.description],
        ['image', stack.image],
        ['external_url', stack.externalUrl],
        ['animation_url', stack.animationUrl],
        ['youtube_url', stack.youtubeUrl],
        [
          'attributes',
          stack.attributes === null || stack.attributes.length === 0
            ? null
            : stack.attributes.map((a) => `${a.traitType}=${String(a.value)}`).join(', '),
        ],
        ['created_at', localTimeOf(stack.createdAt)],
        ['updated_at', localTimeOf(stack.updatedAt)],
      ],
    ),
  );
  write(
    io.out,
    `Its NFTs: imx-metadata-refresh zkevm list ${stack.contractAddress} --metadata-id ${stack.id}`,
  );
  return EXIT.ok;
}

/** `zkevm list-metadata <contractAddress> [--from-updated-at iso] [--limit n]` */
export async function zkevmListMetadataCommand(
  connection: ZkEvmConnection,
  contractAddress: string,
  options: { fromUpdatedAt?: string; limit: number; json?: boolean },
  io: Io,
): Promise<number> {
  const stacks: StackedMetadata[] = [];
  for await (const stack of connection.client.iterateMetadata({
    contractAddress,
    pageSize: Math.min(options.limit, MAX_PAGE_SIZE),
    ...(options.fromUpdatedAt === undefined ? {} : { fromUpdatedAt: options.fromUpdatedAt }),
  })) {
    stacks.push(stack);
    if (stacks.length >= options.limit) break;
  }
  if (options.json) {
    write(io.out, JSON.stringify(stacks));
    return EXIT.ok;
  }
  write(
    io.out,
    stacks.length === 0
      ? 'No stacked metadata.'
      : table(
          ['METADATA ID', 'NAME', 'UPDATED AT'],
          stacks.map((s) => [s.id, s.name, localTimeOf(s.updatedAt)]),
        ),
  );
  return EXIT.ok;
}

function collectionRows(c: CollectionMetadata): [string, string | null][] {
  return [
    ['name', c.name],
    ['symbol', c.symbol],
    ['description', c.description],
    ['image', c.image],
    ['external_link', c.externalLink],
    ['contract_uri', c.contractUri],
    ['base_uri', c.baseUri],
  ];
}

/** `zkevm collection <contractAddress>`: the collection and its metadata. */
export async function zkevmCollectionCommand(
  connection: ZkEvmConnection,
  contractAddress: string,
  options: { json?: boolean },
  io: Io,
): Promise<number> {
  const collection = await connection.client.getCollection({ contractAddress });
  if (options.json) {
    write(io.out, JSON.stringify(collection));
    return EXIT.ok;
  }
  write(
    io.out,
    table(
      ['FIELD', 'VALUE'],
      [
        ['contract', `${collection.contractAddress} (${collection.contractType})`],
        ['chain', collection.chain.name],
        ...collectionRows(collection),
        ['verification_status', collection.verificationStatus],
        ['metadata_synced_at', localTimeOf(collection.metadataSyncedAt)],
        ['updated_at', localTimeOf(collection.updatedAt)],
        ['indexed_at', localTimeOf(collection.indexedAt)],
      ],
    ),
  );
  return EXIT.ok;
}

/** The fields `zkevm refresh-collection` sets, by their wire names (the flags' names). */
export const COLLECTION_FIELD_FLAGS = {
  name: 'name',
  symbol: 'symbol',
  description: 'description',
  image: 'image',
  external_link: 'externalLink',
  contract_uri: 'contractUri',
  base_uri: 'baseUri',
} as const satisfies Record<string, keyof CollectionMetadata>;

/** What `zkevm refresh-collection` was asked to change: new values, and fields to clear. */
export interface CollectionChanges {
  set: { [K in keyof CollectionMetadata]?: string | undefined };
  clear: string[];
}

/**
 * `zkevm refresh-collection <contractAddress> [--name …] [--clear field]…`: reads the current
 * metadata, changes only the fields given, and pushes the whole of it (the platform takes the
 * whole metadata: a field not given is kept, never cleared by omission).
 */
export async function zkevmRefreshCollectionCommand(
  connection: ZkEvmConnection,
  contractAddress: string,
  changes: CollectionChanges,
  options: { json?: boolean },
  io: Io,
): Promise<number> {
  assertContractAddress(contractAddress);
  const names = Object.keys(COLLECTION_FIELD_FLAGS);
  for (const field of changes.clear) {
    if (!Object.hasOwn(COLLECTION_FIELD_FLAGS, field)) {
      throw new InvalidRequestError(`--clear ${field}: the fields are ${names.join(', ')}`);
    }
  }
  const given = Object.entries(changes.set).filter(([, v]) => v !== undefined);
  if (given.length === 0 && changes.clear.length === 0) {
    throw new InvalidRequestError(
      `Give what to change: ${names.map((n) => `--${n.replaceAll('_', '-')}`).join(', ')} or --clear <field>`,
    );
  }
  const cleared = changes.clear.map(
    (field) => COLLECTION_FIELD_FLAGS[field as keyof typeof COLLECTION_FIELD_FLAGS],
  );
  const both = cleared.find((key) => changes.set[key] !== undefined);
  if (both !== undefined) throw new InvalidRequestError(`${both} is both set and cleared`);
  const { client } = connection;
  const current = await client.getCollection({ contractAddress });
  const next: CollectionMetadata = { ...current };
  for (const [key, value] of given) next[key as keyof CollectionMetadata] = value as string;
  for (const key of cleared) next[key] = null;
  const result = await client.refreshCollectionMetadata({
    contractAddress,
    collectionMetadata: next,
  });
  if (options.json) {
    write(
      io.out,
      JSON.stringify({
        contractAddress: result.contractAddress,
        collectionMetadata: result.collectionMetadata,
        rateLimit: rateLimitJson(result.rateLimit),
      }),
    );
    return EXIT.ok;
  }
  write(io.out, `Refreshed the metadata of collection ${result.contractAddress}:`);
  write(io.out, table(['FIELD', 'VALUE'], collectionRows(result.collectionMetadata)));
  write(
    io.out,
    `Budget: ${result.rateLimit ? budgetLine(result.rateLimit) : 'not reported for collection refreshes'}`,
  );
  return EXIT.ok;
}
