/**
 * A real redis-server for the Redis tests, on a free port, started and stopped by the suite.
 * Without redis-server the tests are skipped with a loud notice, except under CI=true, where a
 * missing Redis fails the run.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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

function waitForReady(child: ChildProcess): Promise<void> {
  return new Promise<void>((resolve, reject) => {
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
  await waitForReady(child);
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

/** A 3-master Redis Cluster on loopback, its node files in a temp dir. */
export interface RunningRedisCluster {
  /** The masters, for `createCluster({ rootNodes })` or `new Cluster(nodes)`. */
  nodes: { host: string; port: number }[];
  /** One URL per master (node-redis `rootNodes: [{ url }]`). */
  urls: string[];
  pids: number[];
  stop(): Promise<void>;
}

function redisCliPath(): string | undefined {
  try {
    return (
      execFileSync('sh', ['-c', 'command -v redis-cli'], { encoding: 'utf8' }).trim() || undefined
    );
  } catch {
    return undefined;
  }
}

/** redis-server and redis-cli (for `--cluster create`) are both installed. */
export const redisClusterAvailable = redisAvailable && redisCliPath() !== undefined;

if (redisAvailable && !redisClusterAvailable) {
  const notice = 'redis-cli not found: the Redis Cluster tests are SKIPPED.';
  if (process.env.CI === 'true')
    throw new Error(`${notice} Under CI=true a missing redis-cli fails the run.`);
  console.warn(`\n*** ${notice} ***\n`);
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A free port whose cluster bus port (port + 10000) is free too. */
async function clusterPort(taken: number[]): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (port > 55_000 || taken.includes(port) || taken.includes(port + 10_000)) continue;
    if (await isFree(port + 10_000)) return port;
  }
}

/**
 * Starts three cluster-enabled redis-servers, joins them with `redis-cli --cluster create` and
 * waits for `cluster_state:ok` on every node. `stop()` ends the three processes and removes the
 * temp dir.
 */
export async function startRedisCluster(): Promise<RunningRedisCluster> {
  const bin = redisServerPath();
  if (!bin) throw new Error('redis-server is not installed');
  const cli = redisCliPath();
  if (!cli) throw new Error('redis-cli is not installed');
  const dir = mkdtempSync(join(tmpdir(), 'imx-redis-cluster-'));
  const children: ChildProcess[] = [];
  const stop = async () => {
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
          }),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const ports: number[] = [];
    for (let i = 0; i < 3; i++) ports.push(await clusterPort(ports));
    for (const port of ports) {
      const child = spawn(
        bin,
        [
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          join(dir, `nodes-${port}.conf`),
          '--cluster-node-timeout',
          '5000',
          '--dir',
          dir,
          '--save',
          '',
          '--appendonly',
          'no',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      children.push(child);
      await waitForReady(child);
    }
    const nodes = ports.map((port) => `127.0.0.1:${port}`);
    execFileSync(cli, ['--cluster', 'create', ...nodes, '--cluster-yes'], {
      stdio: 'ignore',
      timeout: 30_000,
    });
    const deadline = Date.now() + 20_000;
    for (const port of ports) {
      for (;;) {
        const info = execFileSync(cli, ['-p', String(port), 'cluster', 'info'], {
          encoding: 'utf8',
        });
        if (info.includes('cluster_state:ok')) break;
        if (Date.now() > deadline) throw new Error(`cluster not ok on ${port}: ${info}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    return {
      nodes: ports.map((port) => ({ host: '127.0.0.1', port })),
      urls: ports.map((port) => `redis://127.0.0.1:${port}`),
      pids: children.map((c) => c.pid as number),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
