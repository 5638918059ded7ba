/**
 * The Redis store's Lua scripts. Each multi-key step is one script, so it is atomic: no
 * check-then-act across round trips. The budget's rule is not here: the scheduler applies it in
 * TypeScript and swaps the state with compare-and-set (WRITE_BUDGET). Token lists travel as JSON
 * arrays of [tokenId, attempts, enqueuedMs] strings.
 *
 * On a Redis Cluster: every key a script touches starts with the store's hash tag `{prefix}`
 * (passed as ARGV "prefix" where a script names keys itself), so all of them hash to the slot of
 * KEYS[1], which routes the call. Keys known before the call are declared in KEYS; the ones a
 * script finds in the data (a collection's pending set, a batch found among the leases) are
 * named inside it. Redis allows that for keys of the declared slot: scripts without a
 * shebang are not checked for cross-slot access (redis/redis#10615, Redis 7.0; with a shebang
 * they must stay in one slot unless flagged `allow-cross-slot-keys`), only for keys the node
 * serves; an undeclared key of ANOTHER slot was even written to the wrong slot's table until
 * redis/redis#12906. Keys of the declared slot are always on the called node and in the right
 * table. The EVAL docs still ask for every key to be declared: that cannot hold for keys found in
 * the data without a second round trip (and atomicity), hence the one hash tag. No shebang, so
 * the scripts also run on Redis 6.
 */

/**
 * KEYS: collections, pending, attempts, kept reads. ARGV: collection, nowMs, then (tokenId,
 * attempts, enqueuedMs|'', keptRead|'')…. A fresh enqueue (no enqueuedMs) drops a kept read: the
 * id changed after it was read. A put-back of an id not pending keeps its read's name.
 */
export const ENQUEUE = `
redis.call('SADD', KEYS[1], ARGV[1])
for i = 3, #ARGV, 4 do
  local id = ARGV[i]
  local attempts = tonumber(ARGV[i + 1])
  local at = ARGV[i + 2]
  local fresh = at == ''
  if fresh then at = ARGV[2] end
  local added = redis.call('ZADD', KEYS[2], 'NX', at, id)
  if fresh then
    redis.call('HDEL', KEYS[4], id)
  elseif added == 1 and ARGV[i + 3] ~= '' then
    redis.call('HSET', KEYS[4], id, ARGV[i + 3])
  end
  if attempts > 0 then
    local current = tonumber(redis.call('HGET', KEYS[3], id) or '0')
    if attempts > current then redis.call('HSET', KEYS[3], id, attempts) end
  end
end
return 1
`;

/** KEYS: collections. ARGV: prefix. Returns [collection, count, oldestMs]… */
export const PENDING_COLLECTIONS = `
local out = {}
for _, c in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local key = ARGV[1] .. ':pending:' .. c
  local n = redis.call('ZCARD', key)
  if n == 0 then
    redis.call('SREM', KEYS[1], c)
  else
    local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
    table.insert(out, c)
    table.insert(out, n)
    table.insert(out, oldest[2])
  end
end
return out
`;

/**
 * KEYS: pending, attempts, collections, leases, sequence, inflight, kept reads. ARGV: max,
 * leaseUntilMs, collection, prefix. Token rows are [tokenId, attempts, enqueuedMs, keptRead|''].
 */
export const TAKE_BATCH = `
local max = tonumber(ARGV[1])
local unsent = ARGV[4] .. ':unsent:' .. ARGV[3]
-- Ids whose push is still unanswered wait: a newer push must not land before an older one.
local held = redis.call('SCARD', unsent)
local rows = redis.call('ZRANGE', KEYS[1], 0, max + held - 1, 'WITHSCORES')
if #rows == 0 then return false end
local tokens = {}
for i = 1, #rows, 2 do
  local id = rows[i]
  if #tokens < max and redis.call('SISMEMBER', unsent, id) == 0 then
    local attempts = redis.call('HGET', KEYS[2], id)
    if attempts then redis.call('HDEL', KEYS[2], id) else attempts = '0' end
    local kept = redis.call('HGET', KEYS[7], id)
    if kept then redis.call('HDEL', KEYS[7], id) else kept = '' end
    table.insert(tokens, { id, attempts, rows[i + 1], kept })
  end
end
if #tokens == 0 then return false end
for _, t in ipairs(tokens) do
  redis.call('ZREM', KEYS[1], t[1])
  redis.call('SADD', unsent, t[1])
end
if redis.call('ZCARD', KEYS[1]) == 0 then redis.call('SREM', KEYS[3], ARGV[3]) end
local id = tostring(redis.call('INCR', KEYS[5]))
local json = cjson.encode(tokens)
redis.call('HSET', ARGV[4] .. ':batch:' .. id, 'collection', ARGV[3], 'tokens', json, 'count', #tokens, 'leaseUntil', ARGV[2], 'refreshId', '')
redis.call('ZADD', KEYS[4], ARGV[2], id)
redis.call('INCRBY', KEYS[6], #tokens)
return { id, json }
`;

// Shared Lua: a batch's push was answered (or the batch ends): its ids may be taken again.
const UNHOLD_FN = `
local function unhold(prefix, collection, tokensJson)
  local unsent = prefix .. ':unsent:' .. collection
  for _, t in ipairs(cjson.decode(tokensJson)) do redis.call('SREM', unsent, t[1]) end
end
`;

/**
 * KEYS: batch, leases, known refresh ids (ZSET scored by Redis TIME). ARGV: batchId, refreshId,
 * leaseUntilMs, how many known ids to keep, prefix, takeovers ('' not checked). Returns 0, changing
 * nothing, for a refresh id the store already knows (that is how reconciliation claims a refresh
 * for one batch only) or a batch taken over since; 1 again for the same batch and refresh id.
 */
export const MARK_SENT = `${UNHOLD_FN}
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
-- Taken over by another process since the caller took it: the outcome is the new holder's.
if ARGV[6] ~= '' and tonumber(redis.call('HGET', KEYS[1], 'takeovers') or '0') ~= tonumber(ARGV[6]) then
  return 0
end
-- Again for the same batch (a retry of a call that timed out but ran): the same answer.
if redis.call('HGET', KEYS[1], 'refreshId') == ARGV[2] then
  redis.call('HSET', KEYS[1], 'leaseUntil', ARGV[3])
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
  return 1
end
if redis.call('ZSCORE', KEYS[3], ARGV[2]) then return 0 end
local sent = redis.call('HMGET', KEYS[1], 'collection', 'tokens')
unhold(ARGV[5], sent[1], sent[2])
local t = redis.call('TIME')
redis.call('ZADD', KEYS[3], tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000), ARGV[2])
redis.call('ZREMRANGEBYRANK', KEYS[3], 0, -tonumber(ARGV[4]) - 1)
redis.call('HSET', KEYS[1], 'refreshId', ARGV[2], 'uncertainSince', '', 'leaseUntil', ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
return 1
`;

/** KEYS: batch, leases. ARGV: batchId, sentAtMs, leaseUntilMs. */
export const MARK_UNCERTAIN = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if (redis.call('HGET', KEYS[1], 'refreshId') or '') ~= '' then return 0 end
redis.call('HSET', KEYS[1], 'uncertainSince', ARGV[2], 'leaseUntil', ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
return 1
`;

/** KEYS: leases, then the batch key of each id. ARGV: leaseUntilMs, batchId… */
export const RENEW_LEASES = `
for i = 2, #ARGV do
  local key = KEYS[i]
  if redis.call('EXISTS', key) == 1 then
    redis.call('HSET', key, 'leaseUntil', ARGV[1])
    redis.call('ZADD', KEYS[1], ARGV[1], ARGV[i])
  end
end
return 1
`;

// Shared Lua: puts one batch's tokens back into pending and drops the batch.
const RELEASE_FN = `${UNHOLD_FN}
local function release(prefix, collections, leases, inflight, id)
  local key = prefix .. ':batch:' .. id
  local fields = redis.call('HMGET', key, 'collection', 'tokens', 'count')
  if not fields[1] then return 0 end
  unhold(prefix, fields[1], fields[2])
  local c = fields[1]
  local pending = prefix .. ':pending:' .. c
  local attempts = prefix .. ':attempts:' .. c
  local kept = prefix .. ':kept-reads:' .. c
  for _, t in ipairs(cjson.decode(fields[2])) do
    local added = redis.call('ZADD', pending, 'NX', t[3], t[1])
    -- A read kept for an id stays with it, unless the id was enqueued again meanwhile.
    if added == 1 and t[4] and t[4] ~= '' then redis.call('HSET', kept, t[1], t[4]) end
    if tonumber(t[2]) > 0 then
      local current = tonumber(redis.call('HGET', attempts, t[1]) or '0')
      if tonumber(t[2]) > current then redis.call('HSET', attempts, t[1], t[2]) end
    end
  end
  redis.call('SADD', collections, c)
  redis.call('DEL', key)
  redis.call('ZREM', leases, id)
  redis.call('DECRBY', inflight, fields[3])
  return 1
end
`;

/** KEYS: collections, leases, inflight. ARGV: prefix, batchId. */
export const RELEASE_BATCH = `${RELEASE_FN}
return release(ARGV[1], KEYS[1], KEYS[2], KEYS[3], ARGV[2])
`;

/** KEYS: leases, inflight, batch. ARGV: batchId, prefix. */
export const COMPLETE_BATCH = `${UNHOLD_FN}
local fields = redis.call('HMGET', KEYS[3], 'collection', 'tokens', 'count')
local count = fields[3]
if not count then return 0 end
unhold(ARGV[2], fields[1], fields[2])
redis.call('DEL', KEYS[3])
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('DECRBY', KEYS[2], count)
return 1
`;

/**
 * KEYS: collections, leases, inflight. ARGV: prefix, nowMs, leaseUntilMs.
 * Unsent expired batches go back to pending; sent and uncertain ones are re-leased to the caller
 * and returned as [batchId, collection, tokensJson, refreshId, uncertainSince]….
 */
export const RECLAIM_EXPIRED = `${RELEASE_FN}
local out = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[2], 'LIMIT', 0, 100)) do
  local key = ARGV[1] .. ':batch:' .. id
  local fields = redis.call('HMGET', key, 'collection', 'tokens', 'refreshId', 'uncertainSince')
  local uncertain = fields[4] or ''
  if not fields[1] then
    redis.call('ZREM', KEYS[2], id)
  elseif fields[3] == '' and uncertain == '' then
    release(ARGV[1], KEYS[1], KEYS[2], KEYS[3], id)
  else
    redis.call('HSET', key, 'leaseUntil', ARGV[3])
    redis.call('ZADD', KEYS[2], ARGV[3], id)
    local takeovers = redis.call('HINCRBY', key, 'takeovers', 1)
    table.insert(out, id)
    table.insert(out, fields[1])
    table.insert(out, fields[2])
    table.insert(out, fields[3])
    table.insert(out, uncertain)
    table.insert(out, takeovers)
  end
end
return out
`;

/**
 * KEYS: budget state (a hash: state JSON, version). Returns [stateJson|false, version|false]. The
 * budget's rule is the scheduler's (TypeScript); Redis only keeps the state and swaps it.
 */
export const READ_BUDGET = `
return redis.call('HMGET', KEYS[1], 'state', 'version')
`;

/**
 * KEYS: budget state. ARGV: version read, new state JSON. Compare-and-set: writes and raises the
 * version only if it is still the one read. Returns 1 written, 0 not.
 */
export const WRITE_BUDGET = `
local version = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
if version ~= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'state', ARGV[2], 'version', version + 1)
return 1
`;

/** KEYS: collections, inflight. ARGV: prefix. Returns [pending, inFlight]. */
export const COUNTS = `
local pending = 0
for _, c in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  pending = pending + redis.call('ZCARD', ARGV[1] .. ':pending:' .. c)
end
return { pending, tonumber(redis.call('GET', KEYS[2]) or '0') }
`;

/** KEYS: collections (routes the call to the store's node). ARGV: glob of the store's keys. */
export const CLEAR = `
local n = 0
for _, k in ipairs(redis.call('KEYS', ARGV[1])) do
  redis.call('DEL', k)
  n = n + 1
end
return n
`;

/** KEYS: batch, inflight. ARGV: prefix, then the token ids to keep…. Drops the batch's other ids. */
export const KEEP_TOKENS = `
local fields = redis.call('HMGET', KEYS[1], 'tokens', 'count', 'collection')
if not fields[1] then return 0 end
local keep = {}
for i = 2, #ARGV do keep[ARGV[i]] = true end
local kept = {}
local unsent = ARGV[1] .. ':unsent:' .. fields[3]
for _, t in ipairs(cjson.decode(fields[1])) do
  if keep[t[1]] then table.insert(kept, t) else redis.call('SREM', unsent, t[1]) end
end
-- cjson encodes an empty table as an object: an empty batch's list must stay a list.
local json = '[]'
if #kept > 0 then json = cjson.encode(kept) end
redis.call('HSET', KEYS[1], 'tokens', json, 'count', #kept)
redis.call('DECRBY', KEYS[2], tonumber(fields[2]) - #kept)
return #kept
`;
