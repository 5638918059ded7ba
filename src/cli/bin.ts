#!/usr/bin/env node
/** The `imx-metadata-refresh` command. */
import { Command, InvalidArgumentError } from 'commander';
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
  .description('run the reference metadata refresh service on this machine')
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
    'budget window length (default one clock hour)',
    integer('window-ms', { min: 1 }),
  )
  .option(
    '--fetch-timeout-ms <ms>',
    'per-attempt Metadata API timeout',
    integer('fetch-timeout-ms', { min: 1 }),
  )
  .option('--concurrency <n>', 'tokens fetched at once', integer('concurrency', { min: 1 }))
  .action(async (options) => {
    const running = await startServe(options, (line) => console.log(line));
    const shutdown = async () => {
      console.log('Shutting down...');
      await running.stop();
      process.exit(0);
    };
    process.once('SIGINT', shutdown);
    process.once('SIGTERM', shutdown);
  });

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
