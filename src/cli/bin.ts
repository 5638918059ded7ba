#!/usr/bin/env node
/** The `imx-metadata-refresh` command. */
import { Command, InvalidArgumentError, Option } from 'commander';
import { ZKEVM_ENVIRONMENTS } from '../wire/zkevm/limits.js';
import {
  type ConnectionOptions,
  clientFrom,
  errorsCommand,
  type Io,
  listCommand,
  reportError,
  requestCommand,
  statusCommand,
  watchCommand,
} from './commands.js';
import { runDemo } from './demo.js';
import { parseCollectionArg, startServe } from './serve.js';

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

const program = new Command()
  .name('imx-metadata-refresh')
  .description('Drive and run the Immutable X metadata refresh API locally')
  .showHelpAfterError();

program
  .command('serve')
  .description(
    'run the reference metadata refresh services (Immutable X, and zkEVM under /v1/chains/) on one port',
  )
  .option('-p, --port <port>', 'port to listen on', integer('port'), 4000)
  .option('--host <host>', 'interface to listen on', '127.0.0.1')
  .option('--owner <address>', 'project owner address (required unless --demo)')
  .option(
    '-c, --collection <address=metadataApiUrl>',
    'a collection and its Metadata API (repeatable)',
    collect,
    [],
  )
  .option('--demo', 'also start a demo Metadata API whose tokens show every outcome', false)
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
  .action(async (options) => {
    const running = await startServe({ ...options, collections: options.collection }, (line) =>
      console.log(line),
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

/** Adds the connection options and runs `run` with a client, turning errors into exit codes. */
function apiCommand<A extends unknown[]>(
  name: string,
  description: string,
  run: (
    client: ReturnType<typeof clientFrom>,
    ...args: [...A, ConnectionOptions & Record<string, unknown>]
  ) => Promise<number>,
) {
  return program
    .command(name)
    .description(description)
    .option('-e, --environment <name>', 'production or sandbox (default: sandbox)')
    .option('--base-url <url>', 'any API base URL instead, e.g. a local reference server')
    .option('--json', 'machine-readable output', false)
    .action(async (...received: unknown[]) => {
      // commander passes the positional arguments, then the options, then the command.
      const args = received.slice(0, -1) as [...A, ConnectionOptions & Record<string, unknown>];
      const options = args[args.length - 1] as ConnectionOptions;
      try {
        process.exitCode = await run(clientFrom(options, io.env), ...args);
      } catch (error) {
        process.exitCode = reportError(error, io, options.json);
      }
    });
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

program
  .command('demo')
  .description('run the whole refresh flow locally against a demo Metadata API, then exit')
  .action(async () => {
    await runDemo();
  });

program.parseAsync(process.argv).catch((error: unknown) => {
  console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
