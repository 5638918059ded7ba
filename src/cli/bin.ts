#!/usr/bin/env node
/** The `imx-metadata-refresh` command. */
import { Command, InvalidArgumentError, Option } from 'commander';
import {
  COLLECTION_REFRESH_READINGS,
  DEFAULT_COLLECTION_REFRESH,
  DEFAULT_RETRY_AFTER,
  RETRY_AFTER_READINGS,
} from '../engine/zkevm/index.js';
import { ZKEVM_ENVIRONMENTS } from '../wire/zkevm/limits.js';
import {
  type ConnectionOptions,
  clientFrom,
  errorsCommand,
  hostOf,
  type Io,
  listCommand,
  reportError,
  requestCommand,
  signalExit,
  statusCommand,
  watchCommand,
} from './commands.js';
import { runDemo } from './demo.js';
import { createRedactor, redactOutput } from './redact.js';
import { parseCollectionArg, startServe } from './serve.js';
import { packageVersion } from './version.js';
import {
  COLLECTION_FIELD_FLAGS,
  type CollectionChanges,
  type ZkEvmConnection,
  type ZkEvmConnectionOptions,
  zkEvmConnect,
  zkevmCollectionCommand,
  zkevmGetCommand,
  zkevmListCommand,
  zkevmListMetadataCommand,
  zkevmMetadataCommand,
  zkevmPushCommand,
  zkevmRefreshCollectionCommand,
} from './zkevm-commands.js';
import { runZkEvmDemo } from './zkevm-demo.js';

function integer(name: string, { min = 0 } = {}) {
  return (value: string) => {
    if (!/^\d+$/.test(value) || Number(value) < min) {
      throw new InvalidArgumentError(`${name} must be an integer of at least ${min}`);
    }
    return Number(value);
  };
}

function collect(value: string, previous: ReturnType<typeof parseCollectionArg>[]) {
  try {
    return [...previous, parseCollectionArg(value)];
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

// The one choke point: every line anyone writes to stdout or stderr (commander, errors, progress,
// results, --json) goes through the redactor, so a key typed by mistake as a token id or inside
// --base-url is never echoed. Installed before anything can write.
const redactor = createRedactor(process.env);
redactOutput(process.stdout, redactor.redact);
redactOutput(process.stderr, redactor.redact);

const program = new Command()
  .name('imx-metadata-refresh')
  .description(
    'Push NFT metadata on Immutable zkEVM, drive the Immutable X refresh API, and run both locally',
  )
  .version(packageVersion(), '-V, --version', 'print the version')
  .showHelpAfterError();

program
  .command('serve')
  .description(
    'run the reference services on one port: zkEVM under /v1/chains/, and Immutable X beside it with --owner and --collection (or --demo)',
  )
  .option('-p, --port <port>', 'port to listen on', integer('port'), 4000)
  .option('--host <host>', 'interface to listen on', '127.0.0.1')
  .option(
    '--owner <address>',
    'Immutable X project owner address (required with --collection; --demo makes a throwaway one)',
  )
  .option(
    '-c, --collection <address=metadataApiUrl>',
    'an Immutable X collection and its Metadata API (repeatable; without any, and without --demo, only zkEVM is served)',
    collect,
    [],
  )
  .option(
    '--demo',
    'serve demo NFTs on both APIs, and a demo Metadata API whose tokens show every outcome',
    false,
  )
  .option(
    '--refreshes-per-hour <n>',
    'accepted refresh requests per window',
    integer('refreshes-per-hour', { min: 1 }),
  )
  .option(
    '--window-ms <ms>',
    'budget window length of both APIs (default one hour)',
    integer('window-ms', { min: 1 }),
  )
  .option(
    '--fetch-timeout-ms <ms>',
    'per-attempt Metadata API timeout',
    integer('fetch-timeout-ms', { min: 1 }),
  )
  .option('--concurrency <n>', 'tokens fetched at once', integer('concurrency', { min: 1 }))
  .option(
    '--api-key <key>',
    'the zkEVM API key to accept (default: a throwaway sk_imapik-test-… key, printed)',
  )
  .addOption(
    new Option(
      '--chain-name <name>',
      'the zkEVM chain served (default: the sandbox chain)',
    ).choices(Object.values(ZKEVM_ENVIRONMENTS).map((env) => env.chainName)),
  )
  .option(
    '--zkevm-refreshes-per-hour <n>',
    'accepted zkEVM refresh requests per window',
    integer('zkevm-refreshes-per-hour', { min: 1 }),
  )
  .addOption(
    new Option(
      '--zkevm-retry-after <reading>',
      'what retry-after on a zkEVM 202 means (the platform does not say): window = time to the reset, pushes accepted while any remain; pacing = least time between pushes (window / limit), a sooner push is a 429',
    )
      .choices(RETRY_AFTER_READINGS)
      .default(DEFAULT_RETRY_AFTER),
  )
  .addOption(
    new Option(
      '--zkevm-collection-refresh <reading>',
      'whether a zkEVM collection refresh spends the push budget (the platform does not say): shared = one push, 429 when spent; separate = never',
    )
      .choices(COLLECTION_REFRESH_READINGS)
      .default(DEFAULT_COLLECTION_REFRESH),
  )
  .action(async (options) => {
    const running = await startServe(
      { ...options, collections: options.collection },
      (line) => console.log(line),
      redactor.show,
    );
    const shutdown = async () => {
      console.log('Shutting down...');
      await running.stop();
      process.exit(0);
    };
    process.once('SIGINT', shutdown);
    process.once('SIGTERM', shutdown);
  });

const io: Io = { out: process.stdout, err: process.stderr, env: process.env };

/**
 * Traps SIGINT and SIGTERM while a command that sends several requests runs: the first aborts
 * the returned signal (the command stops sending and prints what got through, then exits 130,
 * or 143 on SIGTERM); a second exits at once, with that code and no summary.
 */
function trapInterrupts(): { signal: AbortSignal; release(): void } {
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(signalExit(name));
    controller.abort(name);
    // On stderr: with --json, stdout stays one JSON object.
    io.err.write(
      `${name}: sending no more requests; a summary follows (press Ctrl-C again to quit without it)\n`,
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    release() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/**
 * Adds `--json` and runs `run` with what `connect` makes of the options (a client), turning
 * errors into exit codes. An `interruptible` command gets `io.signal` (see {@link trapInterrupts}).
 */
function withApi<C, A extends unknown[]>(
  command: Command,
  connect: (options: Record<string, unknown>) => C,
  baseUrlOf: (connection: C) => string,
  run: (connection: C, ...args: [...A, Record<string, unknown>]) => Promise<number>,
  interruptible = false,
): Command {
  return command
    .option('--json', 'machine-readable output', false)
    .action(async (...received: unknown[]) => {
      // commander passes the positional arguments, then the options, then the command.
      const args = received.slice(0, -1) as [...A, Record<string, unknown>];
      const options = args[args.length - 1] as { json?: boolean };
      let host: string | undefined;
      const trap = interruptible ? trapInterrupts() : undefined;
      io.signal = trap?.signal;
      try {
        const connection = connect(options);
        host = hostOf(baseUrlOf(connection));
        process.exitCode = await run(connection, ...args);
      } catch (error) {
        process.exitCode = reportError(error, io, options.json, host);
        // Interrupted before sending anything (or with nothing to report): still 130 or 143.
        if (trap?.signal.aborted) process.exitCode = signalExit(trap.signal.reason);
      } finally {
        trap?.release();
      }
    });
}

/** An Immutable X command: the connection options, and a client signing with `IMX_PRIVATE_KEY`. */
function apiCommand<A extends unknown[]>(
  name: string,
  description: string,
  run: (
    client: ReturnType<typeof clientFrom>,
    ...args: [...A, ConnectionOptions & Record<string, unknown>]
  ) => Promise<number>,
  interruptible = false,
) {
  return withApi<ReturnType<typeof clientFrom>, A>(
    program
      .command(name)
      .description(description)
      .option('-e, --environment <name>', 'production or sandbox (default: sandbox)')
      .option(
        '--base-url <url>',
        'any API base URL instead, e.g. a local reference server (default: $IMX_BASE_URL)',
      ),
    (options) => clientFrom(options as ConnectionOptions, io.env),
    (client) => client.baseURL,
    run,
    interruptible,
  );
}

apiCommand<[string, string[]]>(
  'request <collection> [tokenIds...]',
  'request a refresh of tokens (any number: split into requests of 1000)',
  (client, collection, tokenIds, options) =>
    requestCommand(
      client,
      collection,
      tokenIds,
      options as { fromFile?: string; json?: boolean },
      io,
    ),
  true,
).option('-f, --from-file <path>', 'read token ids from a file, one a line');

apiCommand<[string]>(
  'status <refreshId>',
  'show the status and counts of a refresh',
  (client, id, options) => statusCommand(client, id, options, io),
);

apiCommand<[string]>(
  'errors <refreshId>',
  'list every token a refresh failed to update, and why',
  (client, id, options) => errorsCommand(client, id, options, io),
);

apiCommand<[]>('list', 'list the project’s refreshes, newest first', (client, options) =>
  listCommand(client, options as { collection?: string; limit: number; json?: boolean }, io),
)
  .option('-c, --collection <address>', 'only refreshes of this collection')
  .option('-n, --limit <n>', 'how many to show', integer('limit', { min: 1 }), 50);

apiCommand<[string]>(
  'watch <refreshId>',
  'show live progress until the refresh completes (exit 2 when some tokens failed)',
  (client, id, options) =>
    watchCommand(client, id, options as { json?: boolean; intervalMs: number }, io),
).option(
  '-i, --interval-ms <ms>',
  'first poll interval',
  integer('interval-ms', { min: 1 }),
  2_000,
);

const zkevm = program
  .command('zkevm')
  .description(
    'push and read NFT metadata on Immutable zkEVM, the live API (key from IMMUTABLE_API_KEY)',
  );

/** A zkEVM command: the connection options, and a client with the key from `IMMUTABLE_API_KEY`. */
function zkevmCommand<A extends unknown[]>(
  name: string,
  description: string,
  run: (connection: ZkEvmConnection, ...args: [...A, Record<string, unknown>]) => Promise<number>,
  interruptible = false,
) {
  return withApi<ZkEvmConnection, A>(
    zkevm
      .command(name)
      .description(description)
      .option('-e, --environment <name>', 'production or sandbox (default: sandbox)')
      .option(
        '--base-url <url>',
        'any API base URL instead, e.g. a local reference server (default: $IMMUTABLE_BASE_URL)',
      )
      .option(
        '--chain-name <name>',
        'the chain with --base-url, e.g. imtbl-zkevm-testnet (default: $IMMUTABLE_CHAIN_NAME)',
      )
      // Declared only to refuse it with a clear message rather than commander's echo of it.
      .addOption(new Option('--api-key <key>').hideHelp()),
    (options) => zkEvmConnect(options as ZkEvmConnectionOptions, io.env),
    (connection) => connection.client.baseURL,
    run,
    interruptible,
  );
}

zkevmCommand<[string, string[]]>(
  'push <contractAddress> [tokenIds...]',
  "push NFTs' metadata, read from a Metadata API or a JSON-lines file (any number: split into requests of 250; exit 2 when some were not pushed)",
  (connection, contractAddress, tokenIds, options) =>
    zkevmPushCommand(
      connection,
      contractAddress,
      tokenIds,
      options as {
        fromMetadataApi?: string;
        fromFile?: string;
        concurrency?: number;
        json?: boolean;
      },
      io,
    ),
  true,
)
  .option(
    '--from-metadata-api <baseUrl>',
    'read each token from <baseUrl>/<tokenId> (3 s an attempt, one retry)',
  )
  .option(
    '-f, --from-file <nfts.jsonl>',
    'one NFT a line: {"token_id","name","description","image","external_url","animation_url","youtube_url","attributes"}',
  )
  .option(
    '--concurrency <n>',
    'tokens read from the Metadata API at once',
    integer('concurrency', { min: 1 }),
    8,
  )
  .addHelpText(
    'after',
    "\nA push REPLACES each NFT's metadata: a field missing from the source is cleared.",
  );

zkevmCommand<[string, string]>(
  'get <contractAddress> <tokenId>',
  'show one NFT, with when its metadata was last synced',
  (connection, contractAddress, tokenId, options) =>
    zkevmGetCommand(connection, contractAddress, tokenId, options, io),
);

zkevmCommand<[string]>(
  'list <contractAddress>',
  "list a collection's NFTs",
  (connection, contractAddress, options) =>
    zkevmListCommand(
      connection,
      contractAddress,
      options as { fromUpdatedAt?: string; metadataId?: string; limit: number; json?: boolean },
      io,
    ),
)
  .option('--from-updated-at <iso>', 'only NFTs updated at or after this ISO 8601 time')
  .option(
    '--metadata-id <uuid>',
    'only the NFTs sharing this stacked metadata (the API has no such filter: every page is read)',
  )
  .option('-n, --limit <n>', 'how many to show', integer('limit', { min: 1 }), 50);

zkevmCommand<[string, string]>(
  'metadata <contractAddress> <metadataId>',
  'show one stacked metadata (shared by every NFT with that metadata_id)',
  (connection, contractAddress, metadataId, options) =>
    zkevmMetadataCommand(connection, contractAddress, metadataId, options, io),
);

zkevmCommand<[string]>(
  'list-metadata <contractAddress>',
  "list a collection's stacked metadata",
  (connection, contractAddress, options) =>
    zkevmListMetadataCommand(
      connection,
      contractAddress,
      options as { fromUpdatedAt?: string; limit: number; json?: boolean },
      io,
    ),
)
  .option('--from-updated-at <iso>', 'only metadata updated at or after this ISO 8601 time')
  .option('-n, --limit <n>', 'how many to show', integer('limit', { min: 1 }), 50);

zkevmCommand<[string]>(
  'collection <contractAddress>',
  'show a collection and its metadata, with when it was last synced',
  (connection, contractAddress, options) =>
    zkevmCollectionCommand(connection, contractAddress, options, io),
);

const refreshCollection = zkevmCommand<[string]>(
  'refresh-collection <contractAddress>',
  "change a collection's metadata: reads it, changes the fields given, pushes the whole of it",
  (connection, contractAddress, options) => {
    const set: CollectionChanges['set'] = {};
    for (const key of Object.values(COLLECTION_FIELD_FLAGS)) {
      if (typeof options[key] === 'string') set[key] = options[key];
    }
    return zkevmRefreshCollectionCommand(
      connection,
      contractAddress,
      { set, clear: (options.clear as string[] | undefined) ?? [] },
      options as { json?: boolean },
      io,
    );
  },
);
for (const field of Object.keys(COLLECTION_FIELD_FLAGS)) {
  refreshCollection.option(`--${field.replaceAll('_', '-')} <value>`, `the new ${field}`);
}
refreshCollection
  .option(
    '--clear <field>',
    `a field to clear (repeatable): ${Object.keys(COLLECTION_FIELD_FLAGS).join(', ')}`,
    (value: string, previous: string[]) => [...previous, value],
    [],
  )
  .addHelpText('after', '\nFields not given keep their current value.');

program
  .command('demo')
  .description(
    'run the whole flow locally, then exit: Immutable zkEVM (a level-up pushed by the scheduler, confirmed, the budget learned), or Immutable X with --imx',
  )
  .option('--imx', 'the Immutable X flow: request a refresh, follow it, read why tokens failed')
  // The zkEVM flow was `demo --zkevm` before it became the default; the flag stays accepted.
  .addOption(new Option('--zkevm').hideHelp())
  .action(async (options: { imx?: boolean }) => {
    if (options.imx) await runDemo();
    else await runZkEvmDemo();
  });

program.parseAsync(process.argv).catch((error: unknown) => {
  console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
