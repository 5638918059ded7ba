/**
 * A real redis-server for the Redis tests, on a free port, started and stopped by the suite.
 * Without redis-server the tests are skipped with a loud notice, except under CI=true, where a
 * missing Redis fails the run.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:net';

export interface RunningRedis {
  url: string;
  port: number;
  /** The redis-server process id (for SIGSTOP/SIGCONT). */
  pid: number;
  stop(): Promise<void>;
}

export function redisServerPath(): string | undefined {
  try {
    return (
      execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim() ||
      undefined
    );
  } catch {
    return undefined;
  }
}

export const redisAvailable = redisServerPath() !== undefined;

if (!redisAvailable) {
  const notice =
    'redis-server not found: the Redis store tests are SKIPPED. Install it (Debian/Ubuntu: apt-get install -y redis-server; macOS: brew install redis) to run them.';
  if (process.env.CI === 'true')
    throw new Error(`${notice} Under CI=true a missing Redis fails the run.`);
  console.warn(`\n*** ${notice} ***\n`);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function startRedis(onPort?: number): Promise<RunningRedis> {
  const bin = redisServerPath();
  if (!bin) throw new Error('redis-server is not installed');
  const port = onPort ?? (await freePort());
  const child: ChildProcess = spawn(
    bin,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${out}`)), 10_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code}: ${out}`));
    });
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    pid: child.pid as number,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
