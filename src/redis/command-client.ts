/**
 * One internal way to send a command, whatever client the caller gave the Redis store: a
 * node-redis client or cluster, an ioredis client or Cluster. Detected by duck typing, so neither
 * library is imported here (both are optional peers).
 */
import { optionChecks } from '../option-checks.js';

/** A node-redis client (`createClient`): `sendCommand(args)`. */
export interface NodeRedisLike {
  /**
   * Sends one raw command, e.g. `['EVALSHA', sha, '1', key]`.
   *
   * @throws what the library throws. The store's operation rejects with `MetadataRefreshError`
   * for a reply error (node-redis's `ErrorReply`), else with `StoreUnavailableError`; a `NOSCRIPT`
   * reply makes the store send the script itself instead.
   */
  sendCommand(args: string[]): Promise<unknown>;
  /** False until `connect()` was called (node-redis 4 to 6). */
  readonly isOpen?: boolean | undefined;
  /**
   * Opens the connection; the store calls it once when `isOpen` is false.
   *
   * @throws the connection error: the store's operation rejects with `StoreUnavailableError`, and
   * the next one calls `connect` again. A rejection while `isOpen` turned true (the owner opened it
   * meanwhile) is ignored.
   */
  connect?(): Promise<unknown>;
}

/** A node-redis cluster (`createCluster`): `sendCommand(firstKey, isReadonly, args)`, routed by `firstKey`. */
export interface NodeRedisClusterLike {
  /**
   * Sends one raw command to the master of `firstKey`'s slot, following MOVED and ASK.
   *
   * @throws what the library throws, as {@link NodeRedisLike.sendCommand}.
   */
  sendCommand(
    firstKey: string | undefined,
    isReadonly: boolean | undefined,
    args: string[],
  ): Promise<unknown>;
  /**
   * Present on a cluster only: how the store tells it from a single client. The store never calls
   * it, so it never throws here.
   */
  getSlotMaster(slot: number): unknown;
  /** False until `connect()` was called. */
  readonly isOpen?: boolean | undefined;
  /**
   * Opens the connections; the store calls it once when `isOpen` is false.
   *
   * @throws the connection error, as {@link NodeRedisLike.connect}.
   */
  connect?(): Promise<unknown>;
}

/** An ioredis client or `Cluster`: `call(command, ...args)`, routed by the command's keys. */
export interface IoRedisLike {
  /**
   * Sends one raw command; a Cluster routes it by its keys and follows MOVED, ASK and TRYAGAIN.
   *
   * @throws what ioredis throws. The store's operation rejects with `MetadataRefreshError` for a
   * reply error (ioredis's `ReplyError`), else with `StoreUnavailableError`; a `NOSCRIPT` reply
   * makes the store send the script itself instead.
   */
  call(command: string, ...args: (string | number)[]): Promise<unknown>;
  /** ioredis connects on its own (also with `lazyConnect`, on the first command). */
  readonly status?: string | undefined;
}

/** The clients the Redis store accepts. */
export type RedisClientLike = NodeRedisLike | NodeRedisClusterLike | IoRedisLike;

/** Which library a client came from, as the store detected it. */
export type RedisClientKind = 'node-redis' | 'node-redis-cluster' | 'ioredis' | 'ioredis-cluster';

/** What the store speaks: one command, routed by a key of the store's slot. */
export interface CommandClient {
  readonly kind: RedisClientKind;
  /** Sends `args` (command name first); `routeKey` picks the node on a cluster. */
  send(routeKey: string, args: string[]): Promise<unknown>;
}

type Loose = Record<string, unknown>;

/** Which kind `client` is, or `undefined` when it is none the store can use. */
export function detectClientKind(client: unknown): RedisClientKind | undefined {
  if (typeof client !== 'object' || client === null) return undefined;
  const c = client as Loose;
  // ioredis first: it has no sendCommand(args) of the node-redis shape (its sendCommand takes a
  // Command object), but it always has call().
  if (typeof c.call === 'function' && (typeof c.evalsha === 'function' || 'isCluster' in c)) {
    return c.isCluster === true ? 'ioredis-cluster' : 'ioredis';
  }
  if (typeof c.sendCommand === 'function') {
    return typeof c.getSlotMaster === 'function' || Array.isArray(c.masters)
      ? 'node-redis-cluster'
      : 'node-redis';
  }
  return undefined;
}

/**
 * Wraps `client` in the store's one interface. A node-redis client or cluster that is not open
 * yet is connected once, on the first command (the caller's own `connect()` racing it is fine);
 * an ioredis client connects itself. The store never closes a client it was given.
 *
 * @throws {InvalidOptionError} when `client` is none of the accepted kinds.
 */
export function toCommandClient(client: unknown): CommandClient {
  const kind = detectClientKind(client);
  if (kind === undefined) {
    throw optionChecks('createRedisStore').invalid(
      'client',
      'must be a node-redis client or cluster (sendCommand) or an ioredis client or Cluster (call)',
      client,
    );
  }
  if (kind === 'ioredis' || kind === 'ioredis-cluster') {
    const io = client as IoRedisLike;
    return { kind, send: (_routeKey, [command, ...args]) => io.call(command as string, ...args) };
  }
  const nr = client as NodeRedisLike & NodeRedisClusterLike;
  let opening: Promise<unknown> | undefined;
  const open = async () => {
    if (nr.isOpen !== false || typeof nr.connect !== 'function') return;
    opening ??= nr.connect().catch((error: unknown) => {
      opening = undefined;
      // Opened meanwhile by its owner ("Socket already opened"): nothing to do.
      if (nr.isOpen) return;
      throw error;
    });
    await opening;
  };
  if (kind === 'node-redis-cluster') {
    return {
      kind,
      async send(routeKey, args) {
        await open();
        return (nr as NodeRedisClusterLike).sendCommand(routeKey, false, args);
      },
    };
  }
  return {
    kind,
    async send(_routeKey, args) {
      await open();
      return (nr as NodeRedisLike).sendCommand(args);
    },
  };
}
