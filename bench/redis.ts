/**
 * A redis-server child for the bench (section 7): on a free 127.0.0.1 port, without persistence,
 * stopped at the end. The bench keeps its own copy rather than importing the test suite's.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { listenOnLoopback } from './lib.js';

export interface RunningRedis {
  url: string;
  stop(): Promise<void>;
}

export function redisServerPath(): string | undefined {
  try {
    const path = execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
    return path.trim() || undefined;
  } catch {
    return undefined;
  }
}

/** A loopback port that was free a moment ago. */
async function freePort(): Promise<number> {
  const server = createServer();
  const port = await listenOnLoopback(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Starts redis-server on a free loopback port, without persistence. On Linux it runs under
 * `setpriv --pdeathsig SIGTERM`, so it also ends if the bench is killed before stopping it.
 */
export async function startRedis(bin: string): Promise<RunningRedis> {
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  const setpriv = '/usr/bin/setpriv';
  const child: ChildProcess = existsSync(setpriv)
    ? spawn(setpriv, ['--pdeathsig', 'SIGTERM', bin, ...args], {
        stdio: ['ignore', 'pipe', 'pipe'],
      })
    : spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const kill = () => child.kill('SIGTERM');
  process.once('exit', kill);
  const stop = async () => {
    process.off('exit', kill);
    if (child.exitCode !== null || child.signalCode !== null) return;
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.kill('SIGTERM');
    await exited;
    clearTimeout(timer);
  };
  try {
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(
        () => reject(new Error(`redis-server did not start: ${out}`)),
        10_000,
      );
      child.stdout?.on('data', (chunk: Buffer) => {
        if (out.length < 20_000) out += chunk.toString();
        if (out.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited with ${code}: ${out.slice(-2000)}`));
      });
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: `redis://127.0.0.1:${port}`, stop };
}
