/**
 * The Lua scripts of the Redis outbox. Each runs atomically in Redis, so several bridge
 * instances can share one queue without a lock service: enqueue (dedupe + append), claim
 * (rate slot + contact lease + a batch of its head events), settle (delivered, dead or retry
 * later, lease released), renew (heartbeat of leases and rate slots), and the CLI's retry/purge.
 *
 * Time is Redis's own (`TIME`, in fractional ms), so instances with skewed clocks still share
 * one rolling window. Keys (prefix `P`, e.g. `custom-channel:{<channelId>}:`):
 *   P.E        hash   id -> pending entry JSON      P.D       hash   id -> dead entry JSON
 *   P.q:<c>    list   ids of contact c, in order    P.ready   zset   contact -> ready-at (ms)
 *   P.leased   zset   contact -> lease expiry       P.owner   hash   contact -> lease token
 *   P.slots    zset   token -> answer time (or lease expiry while in flight)
 *   P.pause    string set on 429, PX Retry-After    P.cap:<c> string '<limit>:<suspects>' after a bad batch
 *   P.d:<key>  string dedupe key, PX retention      P.seq     string id counter
 */

/** Shared preamble: Redis time in ms with 0.1 ms precision, and key helpers. */
const PRELUDE = `
local P = ARGV[1]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 100) / 10
local function release(c, readyAt)
  redis.call('ZREM', P .. 'leased', c)
  redis.call('HDEL', P .. 'owner', c)
  if redis.call('LLEN', P .. 'q:' .. c) > 0 then redis.call('ZADD', P .. 'ready', readyAt, c) end
end
`;

/**
 * ARGV: prefix, maxEvents, retentionMs, deadReason ('' = pending), n, then n triples
 * (dedupe key, contactId, entry JSON without its opening brace). Returns one id per event
 * ('' for a duplicate), or the error `FULL <max>`.
 */
export const ENQUEUE = `${PRELUDE}
local max = tonumber(ARGV[2])
local retention = ARGV[3]
local dead = ARGV[4]
local n = tonumber(ARGV[5])
if max > 0 and redis.call('HLEN', P .. 'E') + redis.call('HLEN', P .. 'D') + n > max then
  return redis.error_reply('FULL ' .. max)
end
local ids = {}
local at = string.format('%d', math.floor(now))
for i = 0, n - 1 do
  local key, c, rest = ARGV[6 + i * 3], ARGV[7 + i * 3], ARGV[8 + i * 3]
  if redis.call('SET', P .. 'd:' .. key, '1', 'NX', 'PX', retention) then
    local id = string.format('%d', redis.call('INCR', P .. 'seq'))
    local head = '{"id":"' .. id .. '","enqueuedAt":' .. at .. ','
    if dead ~= '' then
      redis.call('HSET', P .. 'D', id, head .. '"reason":' .. cjson.encode(dead) .. ',"deadAt":' .. at .. ',' .. rest)
    else
      redis.call('HSET', P .. 'E', id, head .. rest)
      redis.call('RPUSH', P .. 'q:' .. c, id)
      if not redis.call('ZSCORE', P .. 'leased', c) then redis.call('ZADD', P .. 'ready', 'NX', now, c) end
    end
    ids[#ids + 1] = id
  else
    ids[#ids + 1] = ''
  end
end
return ids
`;

/**
 * ARGV: prefix, token, limit, windowMs, leaseMs, maxBatch. Frees expired leases first (a dead
 * instance's contacts), then: paused -> { 0, waitMs }; no rate slot -> { 0, waitMs }; nothing
 * ready -> { 0, waitMs or -1 }; else { 1, contact, ids, entries } with the contact leased to
 * `token` and one rate slot held by it. Every reply ends with the pending and dead counts.
 */
export const CLAIM = `${PRELUDE}
local token, limit, window, lease, maxBatch = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local function counts(reply)
  reply[#reply + 1] = redis.call('HLEN', P .. 'E')
  reply[#reply + 1] = redis.call('HLEN', P .. 'D')
  return reply
end
for _, c in ipairs(redis.call('ZRANGEBYSCORE', P .. 'leased', '-inf', now)) do release(c, now) end
local paused = redis.call('PTTL', P .. 'pause')
if paused > 0 then return counts({ 0, paused }) end
redis.call('ZREMRANGEBYSCORE', P .. 'slots', '-inf', now - window)
if redis.call('ZCARD', P .. 'slots') >= limit then
  local oldest = tonumber(redis.call('ZRANGE', P .. 'slots', 0, 0, 'WITHSCORES')[2])
  -- Every slot in flight: an answer may free one any moment (then a window later), look again soon.
  if oldest > now then return counts({ 0, 10 }) end
  return counts({ 0, tostring(math.max(1, oldest + window - now)) })
end
for _ = 1, 10 do
  local pick = redis.call('ZRANGEBYSCORE', P .. 'ready', '-inf', now, 'LIMIT', 0, 1)
  if #pick == 0 then
    local nxt = redis.call('ZRANGE', P .. 'ready', 0, 0, 'WITHSCORES')
    if #nxt == 0 then return counts({ 0, -1 }) end
    return counts({ 0, tostring(math.max(1, tonumber(nxt[2]) - now)) })
  end
  local c = pick[1]
  redis.call('ZREM', P .. 'ready', c)
  local size = maxBatch
  local split = redis.call('GET', P .. 'cap:' .. c) or ''
  local cap = tonumber(string.match(split, '^(%d+):'))
  if cap and cap < size then size = cap end
  local ids, entries = {}, {}
  local listed = redis.call('LRANGE', P .. 'q:' .. c, 0, size - 1)
  for _, id in ipairs(listed) do
    local entry = redis.call('HGET', P .. 'E', id)
    if entry then
      ids[#ids + 1] = id
      entries[#entries + 1] = entry
    else
      redis.call('LREM', P .. 'q:' .. c, 1, id)
    end
  end
  if #ids > 0 then
    redis.call('ZADD', P .. 'leased', now + lease, c)
    redis.call('HSET', P .. 'owner', c, token)
    redis.call('ZADD', P .. 'slots', now + lease, token)
    return counts({ 1, c, ids, entries, split })
  end
  if redis.call('LLEN', P .. 'q:' .. c) > 0 then redis.call('ZADD', P .. 'ready', now, c) end
end
return counts({ 0, 1 })
`;

/**
 * ARGV: prefix, contact, token, readyDelayMs, pauseMs, split ('' keep, '0' drop, 'l:s' set), nDone,
 * nDead, nUpdate, answeredAgoMs, then nDone ids, nDead (id, json) pairs, nUpdate (id, json)
 * pairs. The rate slot now counts from the answer: `answeredAgoMs` (measured by the instance on
 * its monotonic clock) before this script runs, so the settle round trip does not stretch the
 * cycle. The lease is released only if still ours.
 */
export const SETTLE = `${PRELUDE}
local c, token = ARGV[2], ARGV[3]
local readyDelay, pause, cap = tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6]
local nDone, nDead, nUpdate = tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9])
local q = P .. 'q:' .. c
redis.call('ZADD', P .. 'slots', now - math.max(0, tonumber(ARGV[10])), token)
local i = 11
for _ = 1, nDone do
  if redis.call('HDEL', P .. 'E', ARGV[i]) == 1 then redis.call('LREM', q, 1, ARGV[i]) end
  i = i + 1
end
for _ = 1, nDead do
  if redis.call('HDEL', P .. 'E', ARGV[i]) == 1 then
    redis.call('LREM', q, 1, ARGV[i])
    redis.call('HSET', P .. 'D', ARGV[i], ARGV[i + 1])
  end
  i = i + 2
end
for _ = 1, nUpdate do
  if redis.call('HEXISTS', P .. 'E', ARGV[i]) == 1 then redis.call('HSET', P .. 'E', ARGV[i], ARGV[i + 1]) end
  i = i + 2
end
if pause > 0 and redis.call('PTTL', P .. 'pause') < pause then
  redis.call('SET', P .. 'pause', '1', 'PX', math.ceil(pause))
end
if cap == '0' then redis.call('DEL', P .. 'cap:' .. c)
elseif cap ~= '' then redis.call('SET', P .. 'cap:' .. c, cap, 'PX', 3600000) end
redis.call('INCRBY', P .. 'delivered', nDone)
if redis.call('HGET', P .. 'owner', c) == token then release(c, now + readyDelay) end
return { redis.call('HLEN', P .. 'E'), redis.call('HLEN', P .. 'D') }
`;

/** ARGV: prefix, leaseMs, then (contact, token) pairs still in flight here: extends their leases and slots. */
export const RENEW = `${PRELUDE}
local lease = tonumber(ARGV[2])
local kept = 0
for i = 3, #ARGV, 2 do
  if redis.call('HGET', P .. 'owner', ARGV[i]) == ARGV[i + 1] then
    redis.call('ZADD', P .. 'leased', 'XX', now + lease, ARGV[i])
    redis.call('ZADD', P .. 'slots', 'XX', now + lease, ARGV[i + 1])
    kept = kept + 1
  end
end
return kept
`;

/** ARGV: prefix, then (id, contact, fresh JSON) triples: dead letters back to the end of their contact's queue. */
export const REVIVE = `${PRELUDE}
local moved = 0
for i = 2, #ARGV, 3 do
  local id, c = ARGV[i], ARGV[i + 1]
  if redis.call('HDEL', P .. 'D', id) == 1 then
    redis.call('HSET', P .. 'E', id, ARGV[i + 2])
    redis.call('RPUSH', P .. 'q:' .. c, id)
    if not redis.call('ZSCORE', P .. 'leased', c) then redis.call('ZADD', P .. 'ready', 'NX', now, c) end
    moved = moved + 1
  end
end
return moved
`;

/** ARGV: prefix, which ('dead', 'pending' or 'all'). Pending events of contacts being delivered right now stay. */
export const PURGE = `${PRELUDE}
local which = ARGV[2]
local count = 0
if which ~= 'pending' then
  count = count + redis.call('HLEN', P .. 'D')
  redis.call('DEL', P .. 'D')
end
if which ~= 'dead' then
  for _, c in ipairs(redis.call('ZRANGE', P .. 'ready', 0, -1)) do
    for _, id in ipairs(redis.call('LRANGE', P .. 'q:' .. c, 0, -1)) do
      count = count + redis.call('HDEL', P .. 'E', id)
    end
    redis.call('DEL', P .. 'q:' .. c, P .. 'cap:' .. c)
    redis.call('ZREM', P .. 'ready', c)
  end
end
return count
`;
