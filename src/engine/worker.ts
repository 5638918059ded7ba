/**
 * The worker: fetches each queued token from its Metadata API, at most `concurrency` at a time
 * across all refreshes, retrying a failed attempt up to `attempts` in all (the last attempt
 * decides the outcome).
 */
import { setMaxListeners } from 'node:events';
import { classifyFetch, type FetchOutcome } from './fetch-outcome.js';
import type { FetchMetadata } from './types.js';

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
  fetchMetadata: FetchMetadata;
  /** Records a token's outcome. */
  onOutcome: (
    task: TokenTask,
    outcome: FetchOutcome | { ok: false; errorCode: 'token_not_found' },
  ) => void;
}

export class Worker {
  readonly #options: WorkerOptions;
  #queue: TokenTask[] = [];
  #head = 0;
  #inFlight = 0;
  #stopped = false;
  #abort = new AbortController();
  #idleWaiters: (() => void)[] = [];

  constructor(options: WorkerOptions) {
    this.#options = options;
    // Every fetch in flight listens to this one signal; more than 10 is expected, not a leak.
    setMaxListeners(0, this.#abort.signal);
  }

  /** Tokens queued and not started. */
  get queued(): number {
    return this.#queue.length - this.#head;
  }

  /** Tokens being fetched now. */
  get inFlight(): number {
    return this.#inFlight;
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

  /** Stops taking tokens, aborts fetches in flight and resolves when they have ended. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#abort.abort();
    await this.idle();
  }

  /** Drops every queued token (a reset); fetches in flight finish but are not restarted. */
  clear(): void {
    this.#queue = [];
    this.#head = 0;
    this.#settleIfIdle();
  }

  #isIdle(): boolean {
    return this.#inFlight === 0 && (this.#stopped || this.queued === 0);
  }

  #settleIfIdle(): void {
    if (!this.#isIdle()) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  #pump(): void {
    while (!this.#stopped && this.#inFlight < this.#options.concurrency && this.queued > 0) {
      const task = this.#queue[this.#head++] as TokenTask;
      if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
        this.#queue = this.#queue.slice(this.#head);
        this.#head = 0;
      }
      this.#inFlight++;
      void this.#run(task);
    }
  }

  async #run(task: TokenTask): Promise<void> {
    try {
      const outcome = await this.#process(task);
      if (!this.#abort.signal.aborted) this.#options.onOutcome(task, outcome);
    } catch {
      // #process never throws and onOutcome only updates memory; nothing must escape a worker slot.
    } finally {
      this.#inFlight--;
      this.#pump();
      this.#settleIfIdle();
    }
  }

  async #process(
    task: TokenTask,
  ): Promise<FetchOutcome | { ok: false; errorCode: 'token_not_found' }> {
    if (!task.exists) return { ok: false, errorCode: 'token_not_found' };
    let outcome: FetchOutcome | undefined;
    for (let attempt = 0; attempt < this.#options.attempts; attempt++) {
      if (this.#abort.signal.aborted) break;
      let result: Awaited<ReturnType<FetchMetadata>>;
      try {
        result = await this.#options.fetchMetadata({
          url: task.url,
          collectionAddress: task.collectionAddress,
          tokenId: task.tokenId,
          timeoutMs: this.#options.timeoutMs,
          signal: this.#abort.signal,
        });
      } catch (error) {
        result = { status: null, reason: error instanceof Error ? error.message : String(error) };
      }
      outcome = classifyFetch(result);
      if (outcome.ok) break;
    }
    return (
      outcome ?? {
        ok: false,
        errorCode: 'unable_to_retrieve_metadata',
        statusCode: null,
        body: null,
      }
    );
  }
}
