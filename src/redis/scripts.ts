/**
 * The Redis store's Lua scripts. Each multi-key step is one script, so it is atomic: no
 * check-then-act across round trips. The budget uses Redis's own TIME, so pods' clocks don't
 * matter. Token lists travel as JSON arrays of [tokenId, attempts, enqueuedMs] strings.
 *
 * On a Redis Cluster: every key a script touches starts with the store's hash tag `{prefix}`
 * (passed as ARGV "prefix" where a script names keys itself), so all of them hash to the slot of
 * KEYS[1], which routes the call. Keys known before the call are declared in KEYS; the ones a
 * script finds in the data (a collection's pending set, a batch found among the leases, a budget
 * window) are named inside it. Redis allows that for keys of the declared slot: scripts without a
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

// Shared Lua: the current window by Redis's clock.
const WINDOW_FN = `
local function window(windowMs)
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  return math.floor(now / windowMs) * windowMs
end
`;

/**
 * KEYS: budget prefix, in-flight slots (ZSET "windowStart:n" scored by expiry), slot sequence.
 * ARGV: max, windowMs, ttlMs. Returns [taken, used, windowEndsMs, slotId].
 * Slots of earlier windows still in flight count against this one: the server may count them here.
 */
export const TAKE_BUDGET_SLOT = `${WINDOW_FN}
local windowMs = tonumber(ARGV[2])
local start = window(windowMs)
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local earlier = 0
for _, member in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
  local slotWindow = tonumber(string.match(member, '^(%d+):'))
  if slotWindow and slotWindow < start then earlier = earlier + 1 end
end
local key = KEYS[1] .. ':' .. string.format('%.0f', start)
local used = tonumber(redis.call('GET', key) or '0')
if used + earlier < tonumber(ARGV[1]) then
  used = redis.call('INCR', key)
  redis.call('PEXPIRE', key, windowMs * 2)
  local slot = string.format('%.0f', start) .. ':' .. redis.call('INCR', KEYS[3])
  redis.call('ZADD', KEYS[2], now + tonumber(ARGV[3]), slot)
  return { 1, used, string.format('%.0f', start + windowMs), slot }
end
return { 0, used, string.format('%.0f', start + windowMs), '' }
`;

/**
 * KEYS: in-flight slots, budget prefix. ARGV: slotId, countedWindowStart ('' when unknown), windowMs,
 * unsent ('1'/'0'). A slot the server counted in a later window than its own moves its count
 * there; a slot whose request was never sent is given back to its window.
 */
export const SETTLE_BUDGET_SLOT = `
local removed = redis.call('ZREM', KEYS[1], ARGV[1])
if removed == 1 and ARGV[4] == '1' then
  local slotWindow = string.match(ARGV[1], '^(%d+):')
  local key = KEYS[2] .. ':' .. slotWindow
  if tonumber(redis.call('GET', key) or '0') > 0 then redis.call('DECR', key) end
elseif removed == 1 and ARGV[2] ~= '' then
  local slotWindow = tonumber(string.match(ARGV[1], '^(%d+):'))
  local counted = tonumber(ARGV[2])
  if slotWindow and counted > slotWindow then
    local key = KEYS[2] .. ':' .. string.format('%.0f', counted)
    redis.call('INCR', key)
    redis.call('PEXPIRE', key, tonumber(ARGV[3]) * 2)
  end
end
return 1
`;

/** KEYS: budget prefix. ARGV: used, windowEndsMs, windowMs. Returns [used, windowEndsMs]. */
export const SYNC_BUDGET = `${WINDOW_FN}
local windowMs = tonumber(ARGV[3])
local start = window(windowMs)
local key = KEYS[1] .. ':' .. string.format('%.0f', start)
local used = tonumber(redis.call('GET', key) or '0')
if tonumber(ARGV[2]) - windowMs == start and tonumber(ARGV[1]) > used then
  used = tonumber(ARGV[1])
  redis.call('SET', key, used, 'PX', windowMs * 2)
end
return { used, string.format('%.0f', start + windowMs) }
`;

/** KEYS: budget prefix. ARGV: windowMs. Returns [used, windowEndsMs]. */
export const BUDGET = `${WINDOW_FN}
local windowMs = tonumber(ARGV[1])
local start = window(windowMs)
local used = tonumber(redis.call('GET', KEYS[1] .. ':' .. string.format('%.0f', start)) or '0')
return { used, string.format('%.0f', start + windowMs) }
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
redis.call('HSET', KEYS[1], 'tokens', cjson.encode(kept), 'count', #kept)
redis.call('DECRBY', KEYS[2], tonumber(fields[2]) - #kept)
return #kept
`;

// Shared Lua: the learned budget's hash (fields limit, used, ends, probe, blocked; '' = none).
// The rule is scheduler/learned-budget.ts, step for step; times are the scheduler's (the window's
// end comes from the API's clock, not Redis's).
const LEARNED_FN = `
local function num(v) if v == false or v == nil or v == '' then return nil end return tonumber(v) end
local function fmt(v) if v == nil then return '' end return string.format('%.0f', v) end
local function load(key)
  local f = redis.call('HMGET', key, 'limit', 'used', 'ends', 'probe', 'blocked')
  return { limit = num(f[1]), used = num(f[2]) or 0, ends = num(f[3]), probe = num(f[4]), blocked = num(f[5]) }
end
local function save(key, s)
  redis.call('HSET', key, 'limit', fmt(s.limit), 'used', fmt(s.used), 'ends', fmt(s.ends), 'probe', fmt(s.probe), 'blocked', fmt(s.blocked))
end
`;

/**
 * KEYS: learned budget. ARGV: nowMs, reserve, cap ('' for none), guardMs, ttlMs.
 * Returns [taken, probe, retryAtMs, spent].
 */
export const TAKE_LEARNED_SLOT = `${LEARNED_FN}
local s = load(KEYS[1])
local now = tonumber(ARGV[1])
if s.blocked and now < s.blocked then return { 0, 0, fmt(s.blocked), 1 } end
local known = s.ends and now < s.ends
if not known then
  if s.probe and now < s.probe then return { 0, 0, fmt(now + 100), 0 } end
  s.used = 0
  s.ends = nil
  s.probe = now + tonumber(ARGV[5])
  save(KEYS[1], s)
  return { 1, 1, fmt(now), 0 }
end
if s.ends - now < tonumber(ARGV[4]) then return { 0, 0, fmt(s.ends), 0 } end
local limit = s.limit or 1
local cap = num(ARGV[3])
if cap and cap < limit then limit = cap end
limit = limit - tonumber(ARGV[2])
if s.used >= limit then return { 0, 0, fmt(s.ends), 1 } end
s.used = s.used + 1
save(KEYS[1], s)
return { 1, 0, fmt(now), 0 }
`;

/**
 * KEYS: learned budget. ARGV: probe ('1'/'0'), nowMs, limit, remaining, resetAtMs, blockUntilMs,
 * unsent ('1'/'0') ('' for each one the answer did not tell; the report is already made usable).
 */
export const SETTLE_LEARNED_SLOT = `${LEARNED_FN}
local s = load(KEYS[1])
local now = tonumber(ARGV[2])
if ARGV[1] == '1' then s.probe = nil
elseif ARGV[7] == '1' and s.used > 0 then s.used = s.used - 1 end
local limit, remaining, reset, block = num(ARGV[3]), num(ARGV[4]), num(ARGV[5]), num(ARGV[6])
if limit and remaining and reset then
  local usedByReport = limit - remaining
  if usedByReport < 0 then usedByReport = 0 end
  local known = s.ends and now < s.ends
  if reset <= now then
  elseif (not known) or reset > s.ends + 1000 then
    s.limit = limit
    s.used = usedByReport
    s.ends = reset
  elseif reset >= s.ends - 1000 then
    s.limit = limit
    if usedByReport > s.used then s.used = usedByReport end
  end
end
if block and block > now then
  if (not s.blocked) or block > s.blocked then s.blocked = block end
end
save(KEYS[1], s)
return 1
`;

/** KEYS: learned budget. Returns [limit, used, ends, probe, blocked] ('' for none). */
export const LEARNED_BUDGET = `${LEARNED_FN}
local s = load(KEYS[1])
return { fmt(s.limit), fmt(s.used), fmt(s.ends), fmt(s.probe), fmt(s.blocked) }
`;
