/**
 * Shared pieces of the benchmark suite: fixed test identities, statistics, the result row, the
 * table printer, a helper that runs a bench child process (bench/child.ts) and stops it again, and
 * a plain JSON GET. Servers come from the loopback kit (src/server/loopback.ts, the Metadata API
 * server, test/support/redis-server.ts).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { type RequestOptions, request } from 'node:http';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** The repository root (bench/..). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** A throwaway test key: never holds funds, only signs requests to the bench's own servers. */
export const BENCH_PRIVATE_KEY = `0x${'11'.repeat(32)}`;
/** The collection every bench refresh belongs to. */
export const BENCH_COLLECTION = `0x${'ab'.repeat(20)}`;

/** One line of the result table. */
export interface Row {
  section: string;
  metric: string;
  ours: string;
  baseline: string;
  /** The compared value as printed (a ratio, or an absolute value for absolute targets). */
  ratio: string;
  target: string;
  /** true pass, false miss, undefined when nothing was checked. */
  ok: boolean | undefined;
}

/** Notes printed under the table (diagnostics, caveats). */
export type Notes = string[];

export interface SectionResult {
  rows: Row[];
  notes: Notes;
}

export function median(values: ArrayLike<number>): number {
  return percentile(values, 50);
}

/** Nearest-rank percentile (p in 0..100) of unsorted values. */
export function percentile(values: ArrayLike<number>, p: number): number {
  const sorted = Array.from(values).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] as number;
}

export function fmt(value: number, digits = 2): string {
  if (!Number.isFinite(value)) return 'n/a';
  return value.toFixed(digits);
}

export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  if (ms < 1) return `${(ms * 1000).toFixed(0)} µs`;
  if (ms < 100) return `${ms.toFixed(2)} ms`;
  return `${ms.toFixed(0)} ms`;
}

export function fmtBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return 'n/a';
  const mb = bytes / (1024 * 1024);
  return mb >= 1 ? `${mb.toFixed(2)} MB` : `${(bytes / 1024).toFixed(0)} kB`;
}

/** Checks `value` against a target such as `<= 0.5`. */
export function check(value: number, op: '<=' | '<' | '>=', limit: number): boolean | undefined {
  if (!Number.isFinite(value)) return undefined;
  if (op === '<=') return value <= limit;
  if (op === '<') return value < limit;
  return value >= limit;
}

/** A row whose ratio and baseline could not be measured, with the reason in place of a number. */
export function failedRow(section: string, metric: string, reason: string, target = ''): Row {
  return { section, metric, ours: '—', baseline: reason, ratio: 'n/a', target, ok: undefined };
}

/** Prints rows as an aligned text table. */
export function renderTable(rows: Row[]): string {
  const header: Row = {
    section: '#',
    metric: 'measurement',
    ours: 'ours',
    baseline: 'baseline',
    ratio: 'ratio/value',
    target: 'target',
    ok: undefined,
  };
  const cells = (r: Row, isHeader = false) => [
    r.section,
    r.metric,
    r.ours,
    r.baseline,
    r.ratio,
    r.target,
    isHeader ? 'result' : r.ok === undefined ? '—' : r.ok ? 'pass' : 'MISS',
  ];
  const all = [cells(header, true), ...rows.map((r) => cells(r))];
  const widths = all[0]?.map((_, i) => Math.max(...all.map((c) => (c[i] ?? '').length))) ?? [];
  const line = (c: string[]) =>
    `| ${c.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  const rule = `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`;
  const [head, ...body] = all;
  return [line(head ?? []), rule, ...body.map(line)].join('\n');
}

/** A running bench child process and what it printed first. */
export interface Child<T> {
  info: T;
  process: ChildProcess;
  /** Ends the child (closing its stdin; SIGKILL after 3 s) and waits for it to exit. */
  stop(): Promise<void>;
}

const CHILD = resolve(ROOT, 'bench/child.ts');

/**
 * Starts `node [nodeArgs] --import tsx bench/child.ts ...args` and resolves with the JSON the
 * child prints on its first stdout line. The child exits when its stdin closes, so it never
 * outlives the bench.
 */
export function startChild<T>(
  args: string[],
  options: { nodeArgs?: string[]; timeoutMs?: number } = {},
): Promise<Child<T>> {
  const child = spawn(
    process.execPath,
    [...(options.nodeArgs ?? []), '--import', 'tsx', CHILD, ...args],
    {
      cwd: ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, NODE_OPTIONS: '' },
    },
  );
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    if (stderr.length < 20_000) stderr += chunk;
  });
  const exited = new Promise<void>((done) => {
    if (child.exitCode !== null || child.signalCode !== null) done();
    else child.once('exit', () => done());
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.stdin?.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  };
  return new Promise((resolvePromise, reject) => {
    const timeoutMs = options.timeoutMs ?? 60_000;
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`bench child ${args[0]} printed nothing within ${timeoutMs} ms`));
    }, timeoutMs);
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.once('line', (line) => {
      clearTimeout(timer);
      lines.close();
      try {
        const info = JSON.parse(line) as T & { error?: string };
        if (info.error) throw new Error(info.error);
        resolvePromise({ info, process: child, stop });
      } catch (error) {
        void stop();
        reject(new Error(`bench child ${args[0]} failed: ${(error as Error).message}\n${stderr}`));
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(
        new Error(
          `bench child ${args[0]} exited (${code ?? signal}) before answering:\n${stderr.trim()}`,
        ),
      );
    });
  });
}

/** Runs `fn` with children that are always stopped afterwards. */
export async function withChildren<R>(
  fn: (track: <T>(child: Child<T>) => Child<T>) => Promise<R>,
): Promise<R> {
  const started: Child<unknown>[] = [];
  try {
    return await fn((child) => {
      started.push(child as Child<unknown>);
      return child;
    });
  } finally {
    await Promise.all(started.map((c) => c.stop()));
  }
}

/** Runs `fn` with one child started with `args` (see startChild), always stopped afterwards. */
export function withChild<T, R>(args: string[], fn: (info: T) => Promise<R>): Promise<R> {
  return withChildren(async (track) => fn(track(await startChild<T>(args)).info));
}

/** Best-effort message of an unknown thrown value, on one line. */
export function reasonOf(error: unknown): string {
  if (error instanceof Error) {
    const status = (error as { status?: unknown; response?: { status?: unknown } }).response
      ?.status;
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    return [error.name, status ? `HTTP ${String(status)}` : '', error.message, cause ?? '']
      .filter(Boolean)
      .join(': ')
      .replace(/\s+/g, ' ')
      .slice(0, 160);
  }
  return String(error).slice(0, 160);
}

/**
 * One bare node:http request that reads the whole body and parses it as JSON; rejects on any
 * status but 200. With a keep-alive agent and precomputed headers: the floor for any client.
 */
export function getJson<T>(options: RequestOptions): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = request(options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode !== 200) reject(new Error(`HTTP ${res.statusCode}: ${text}`));
        else resolve(JSON.parse(text));
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
