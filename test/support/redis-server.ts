/**
 * A real redis-server on a free loopback port, without persistence, for the Redis tests and the
 * bench (section 7). Without redis-server a test run skips the Redis tests with a loud notice,
 * except under CI=true, where a missing Redis fails the run; the bench says so in its notes.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, listen } from '../../src/server/loopback.js';

export interface RunningRedis {
  url: string;
  port: number;
  /** The redis-server process id (for SIGSTOP/SIGCONT). */
  pid: number;
  stop(): Promise<void>;
}

function commandPath(name: string): string | undefined {
  try {
    return (
      execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || undefined
    );
  } catch {
    return undefined;
  }
}

export const redisServerPath = () => commandPath('redis-server');

export const redisAvailable = redisServerPath() !== undefined;

/** A test run's notice; the bench imports this file too and reports a missing Redis itself. */
function notice(text: string): void {
  if (!process.env.VITEST) return;
  if (process.env.CI === 'true') throw new Error(`${text} Under CI=true this fails the run.`);
  console.warn(`\n*** ${text} ***\n`);
}

if (!redisAvailable) {
  notice(
    'redis-server not found: the Redis store tests are SKIPPED. Install it (Debian/Ubuntu: apt-get install -y redis-server; macOS: brew install redis) to run them.',
  );
}

const SETPRIV = '/usr/bin/setpriv';

/**
 * Starts redis-server with `args` and waits until it accepts connections. On Linux it runs under
 * `setpriv --pdeathsig SIGTERM` (which execs, so the pid is redis-server's), and an exit of this
 * process kills it too: a killed test run or bench leaves no Redis behind.
 */
async function spawnRedis(
  args: string[],
): Promise<{ child: ChildProcess; stop: () => Promise<void> }> {
  const bin = redisServerPath();
  if (!bin) throw new Error('redis-server is not installed');
  const child = existsSync(SETPRIV)
    ? spawn(SETPRIV, ['--pdeathsig', 'SIGTERM', bin, ...args], {
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
  return { child, stop };
}

const NO_PERSISTENCE = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];

/** Starts redis-server on `onPort`, or a free port. */
export async function startRedis(onPort?: number): Promise<RunningRedis> {
  const port = onPort ?? (await freePort());
  const { child, stop } = await spawnRedis(['--port', String(port), ...NO_PERSISTENCE]);
  return { url: `redis://127.0.0.1:${port}`, port, pid: child.pid as number, stop };
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

const redisCliPath = () => commandPath('redis-cli');

/** redis-server and redis-cli (for `--cluster create`) are both installed. */
export const redisClusterAvailable = redisAvailable && redisCliPath() !== undefined;

if (redisAvailable && !redisClusterAvailable) {
  notice('redis-cli not found: the Redis Cluster tests are SKIPPED.');
}

async function isFree(port: number): Promise<boolean> {
  const server = createServer();
  try {
    await listen(server, port);
  } catch {
    return false;
  }
  await new Promise((resolve) => server.close(resolve));
  return true;
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
  const cli = redisCliPath();
  if (!cli) throw new Error('redis-cli is not installed');
  const dir = mkdtempSync(join(tmpdir(), 'imx-redis-cluster-'));
  const servers: Awaited<ReturnType<typeof spawnRedis>>[] = [];
  const stop = async () => {
    await Promise.all(servers.map((server) => server.stop()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const ports: number[] = [];
    for (let i = 0; i < 3; i++) ports.push(await clusterPort(ports));
    for (const port of ports) {
      servers.push(
        await spawnRedis([
          '--port',
          String(port),
          ...NO_PERSISTENCE,
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          join(dir, `nodes-${port}.conf`),
          '--cluster-node-timeout',
          '5000',
          '--dir',
          dir,
        ]),
      );
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
      pids: servers.map((server) => server.child.pid as number),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
