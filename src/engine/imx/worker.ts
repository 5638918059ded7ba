/**
 * The worker: fetches each queued token from its Metadata API, at most `concurrency` at a time
 * across all refreshes, retrying a failed attempt up to `attempts` in all (the last attempt
 * decides the outcome).
 */
import { setMaxListeners } from 'node:events';
import type { FetchOutcome } from '../../metadata-api/classify.js';
import { readTokenMetadata } from '../../metadata-api/read-token.js';
import type { FetchMetadata } from '../../metadata-api/types.js';

/** One token to process. */
export interface TokenTask {
  refreshId: string;
  collectionAddress: string;
  tokenId: string;
  /** `${metadataApiUrl}/${tokenId}`. */
  url: string;
  /** False when the token does not exist: it fails with `token_not_found` without a fetch. */
  exists: boolean;
}

export interface WorkerOptions {
  concurrency: number;
  attempts: number;
  timeoutMs: number;
  /** Longest Metadata API body read, in bytes; longer fails the attempt. */
  maxBytes: number;
  fetchMetadata: FetchMetadata;
  /** Told of a bug in a worker slot (never of a Metadata API's failure: that is an outcome). */
  onError: (error: unknown) => void;
  /** Records a token's outcome. */
  onOutcome: (
    task: TokenTask,
    outcome: FetchOutcome | { ok: false; errorCode: 'token_not_found' },
  ) => void;
}

/**
 * The work started since the last {@link Worker.abandon}: its signal aborts its fetches, and its
 * count of tokens in flight is what `idle()` waits for.
 */
interface Generation {
  abort: AbortController;
  inFlight: number;
}

function newGeneration(): Generation {
  const abort = new AbortController();
  // Every fetch in flight listens to this one signal; more than 10 is expected, not a leak.
  setMaxListeners(0, abort.signal);
  return { abort, inFlight: 0 };
}

export class Worker {
  readonly #options: WorkerOptions;
  #queue: TokenTask[] = [];
  #head = 0;
  #generation = newGeneration();
  /** Every slot running, abandoned or not, so `stop()` can wait for all of them. */
  readonly #running = new Set<Promise<void>>();
  #stopped = false;
  #idleWaiters: (() => void)[] = [];

  constructor(options: WorkerOptions) {
    this.#options = options;
  }

  /** Tokens queued and not started. */
  get queued(): number {
    return this.#queue.length - this.#head;
  }

  enqueue(tasks: TokenTask[]): void {
    for (const task of tasks) this.#queue.push(task);
    this.#pump();
  }

  /** Resolves when nothing is queued or in flight (or, once stopped, nothing in flight). */
  idle(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Stops taking tokens, aborts fetches in flight and resolves when every one has ended. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#generation.abort.abort();
    await Promise.all(this.#running);
    await this.idle();
  }

  /**
   * Abandons all work (a reset): drops queued tokens and aborts fetches in flight, whose outcomes
   * are then never recorded. The worker is idle at once, even if a fetcher ignores the signal and
   * never ends; new tokens get fresh slots.
   */
  abandon(): void {
    this.#generation.abort.abort();
    this.#generation = newGeneration();
    this.#queue = [];
    this.#head = 0;
    this.#settleIfIdle();
  }

  #isIdle(): boolean {
    return this.#generation.inFlight === 0 && (this.#stopped || this.queued === 0);
  }

  #settleIfIdle(): void {
    if (!this.#isIdle()) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  #pump(): void {
    const generation = this.#generation;
    while (!this.#stopped && generation.inFlight < this.#options.concurrency && this.queued > 0) {
      const task = this.#queue[this.#head++] as TokenTask;
      if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
        this.#queue = this.#queue.slice(this.#head);
        this.#head = 0;
      }
      generation.inFlight++;
      const run = this.#run(task, generation);
      this.#running.add(run);
      void run.then(() => this.#running.delete(run));
    }
  }

  async #run(task: TokenTask, generation: Generation): Promise<void> {
    const signal = generation.abort.signal;
    try {
      const outcome = await this.#process(task, signal);
      if (!signal.aborted) this.#options.onOutcome(task, outcome);
    } catch (error) {
      // #process never throws; onOutcome only updates memory, so this is a bug: report it, and
      // never let it escape a worker slot.
      this.#options.onError(error);
    } finally {
      generation.inFlight--;
      if (generation === this.#generation) {
        this.#pump();
        this.#settleIfIdle();
      }
    }
  }

  async #process(
    task: TokenTask,
    signal: AbortSignal,
  ): Promise<FetchOutcome | { ok: false; errorCode: 'token_not_found' }> {
    if (!task.exists) return { ok: false, errorCode: 'token_not_found' };
    return readTokenMetadata({
      fetchMetadata: this.#options.fetchMetadata,
      url: task.url,
      collectionAddress: task.collectionAddress,
      tokenId: task.tokenId,
      attempts: this.#options.attempts,
      timeoutMs: this.#options.timeoutMs,
      maxBytes: this.#options.maxBytes,
      signal,
    });
  }
}
