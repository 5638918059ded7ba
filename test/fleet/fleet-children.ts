/**
 * The game-server child processes of a fleet run (game-server.ts), for every fleet test: spawn
 * one with its config, read its JSON lines as they come, start the fleet together, wait for it to
 * settle, read its events back, and never leave a child running when a check throws.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { SchedulerEvent } from '../../src/index.js';
import type { RedisStore } from '../../src/redis/index.js';
import type { FleetLine, GameServerConfig } from './game-server.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** tsx and a Redis client take seconds to load per process on a loaded 2-core machine. */
const STARTUP_MS = 60_000;

/** One game server and everything it printed so far. */
export interface Child {
  index: number;
  proc: ChildProcess;
  lines: FleetLine[];
  stderr: string;
  /** Resolves once the process exited and all its stdout was read. */
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export type Event<T extends SchedulerEvent['type']> = Extract<SchedulerEvent, { type: T }>;

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Whether the process is still running. */
export const alive = (child: Child) => child.proc.exitCode === null && !child.proc.signalCode;

/**
 * Starts `node --import tsx test/fleet/game-server.ts <config>`; `onLine` sees each line as it
 * arrives (after it was added to `child.lines`), so a test can kill a child at a chosen moment.
 */
export function spawnGameServer(
  index: number,
  config: GameServerConfig,
  onLine: (child: Child, line: FleetLine) => void = () => {},
): Child {
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', 'test/fleet/game-server.ts', JSON.stringify(config)],
    { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  const rl = createInterface({ input: proc.stdout as NodeJS.ReadableStream });
  const read = new Promise<void>((resolve) => rl.once('close', () => resolve()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const done = Promise.all([exited, read]).then(([exit]) => exit);
  const child: Child = { index, proc, lines: [], stderr: '', done };
  proc.stderr?.on('data', (chunk: Buffer) => {
    child.stderr += chunk.toString();
  });
  rl.on('line', (text) => {
    let line: FleetLine;
    try {
      line = JSON.parse(text) as FleetLine;
    } catch {
      child.stderr += `(stdout) ${text}\n`;
      return;
    }
    child.lines.push(line);
    onLine(child, line);
  });
  return child;
}

/**
 * Waits until every child is connected and ready, then says `go` to all at once (so their
 * enqueues overlap in time however long each took to start). Resolves with the time of `go`.
 */
export async function startTogether(children: Child[]): Promise<number> {
  const spawnedAt = Date.now();
  while (!children.every((c) => c.lines.some((l) => l.kind === 'ready'))) {
    const dead = children.find((c) => !alive(c));
    if (dead) throw new Error(`game server ${dead.index} exited: ${dead.stderr}`);
    if (Date.now() - spawnedAt > STARTUP_MS) throw new Error('game servers did not start in time');
    await sleep(50);
  }
  const t0 = Date.now();
  for (const child of children) child.proc.stdin?.write('go\n');
  return t0;
}

/**
 * Runs `fn` over the children it spawns; whatever is still running afterwards (a check threw)
 * is SIGKILLed, and every child's exit is awaited.
 */
export async function withFleet<R>(fn: (children: Child[]) => Promise<R>): Promise<R> {
  const children: Child[] = [];
  try {
    return await fn(children);
  } catch (error) {
    writeFleetLog(children, Number.NaN);
    throw error;
  } finally {
    for (const child of children) if (alive(child)) child.proc.kill('SIGKILL');
    await Promise.all(children.map((c) => c.done));
  }
}

/** The fleet's state in one line, for a failure message. */
export async function describeFleet(
  children: Child[],
  victim: Child | undefined,
  store: RedisStore,
): Promise<string> {
  return JSON.stringify({
    victim: victim?.index,
    counts: await store.counts().catch((e: unknown) => String(e)),
    children: children.map((c) => ({
      index: c.index,
      exit: c.proc.exitCode ?? c.proc.signalCode,
      drained: c.lines.some((l) => l.kind === 'drained'),
      lines: c.lines.length,
      stderr: c.stderr.slice(-2000),
    })),
  });
}

/**
 * Polls until `settled()` holds, failing early when a survivor (any child but the victim) exits
 * or the deadline passes.
 */
export async function waitUntilSettled(options: {
  children: Child[];
  victim: () => Child | undefined;
  store: RedisStore;
  deadline: number;
  settled: () => Promise<boolean>;
}): Promise<void> {
  const { children, victim, store, deadline } = options;
  for (;;) {
    const describe = () => describeFleet(children, victim(), store);
    if (Date.now() > deadline) throw new Error(`fleet not done in time: ${await describe()}`);
    const early = children.find((c) => c !== victim() && !alive(c));
    if (early) throw new Error(`game server ${early.index} exited: ${await describe()}`);
    if (await options.settled()) return;
    await sleep(100);
  }
}

/** With `FLEET_LOG=/tmp/fleet.json`, every child's lines go there (for investigating a failure). */
function writeFleetLog(children: Child[], t0: number): void {
  const path = process.env.FLEET_LOG;
  if (path) writeFileSync(path, JSON.stringify({ t0, lines: children.map((c) => c.lines) }));
}

/**
 * Ends the run: SIGTERMs every survivor, waits for all exits and checks them (the victim died
 * of SIGKILL; every survivor stopped its scheduler and exited 0; no child hit a fatal error).
 */
export async function stopFleet(children: Child[], victim: Child, t0: number): Promise<void> {
  const survivors = children.filter((c) => c !== victim);
  for (const child of survivors) child.proc.kill('SIGTERM');
  const exits = await Promise.all(children.map((c) => c.done));
  writeFleetLog(children, t0);
  expect(exits[victim.index]).toEqual({ code: null, signal: 'SIGKILL' });
  for (const child of survivors) {
    expect(exits[child.index], child.stderr).toEqual({ code: 0, signal: null });
    expect(child.lines.at(-1)).toMatchObject({ kind: 'stopped' });
  }
  for (const child of children) expect(linesOf(child, 'fatal')).toEqual([]);
}

/** The child's scheduler events of one type, in order. */
export function events<T extends SchedulerEvent['type']>(child: Child, type: T): Event<T>[] {
  const out: Event<T>[] = [];
  for (const line of child.lines) {
    if (line.kind === 'event' && line.event.type === type) out.push(line.event as Event<T>);
  }
  return out;
}

/** The child's lines of one kind, in order. */
export function linesOf<K extends FleetLine['kind']>(
  child: Child,
  kind: K,
): Extract<FleetLine, { kind: K }>[] {
  return child.lines.filter((l): l is Extract<FleetLine, { kind: K }> => l.kind === kind);
}

export function countBy<T>(
  items: T[],
  key: (item: T) => number | string,
): Map<number | string, number> {
  const out = new Map<number | string, number>();
  for (const item of items) out.set(key(item), (out.get(key(item)) ?? 0) + 1);
  return out;
}

/**
 * Each id of the pool 1..total is enqueued by one process, and every third id by a second one
 * too (in reverse order there, so some duplicates arrive while the first copy is pending and some
 * after it was sent). Returns each process's `chunks` chunks.
 */
export function shares(processes: number, total: number, chunks: number): string[][][] {
  return Array.from({ length: processes }, (_, p) => {
    const primary: string[] = [];
    const secondary: string[] = [];
    for (let i = 1; i <= total; i++) {
      if (i % processes === p) primary.push(String(i));
      else if (i % 3 === 0 && (i + 1) % processes === p) secondary.push(String(i));
    }
    secondary.reverse();
    const chunk = (ids: string[], k: number) =>
      ids.slice(Math.floor((ids.length * k) / chunks), Math.floor((ids.length * (k + 1)) / chunks));
    return Array.from({ length: chunks }, (_, k) => [...chunk(primary, k), ...chunk(secondary, k)]);
  });
}
