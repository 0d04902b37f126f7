/**
 * The Lua scripts of the Redis send queue. Each runs atomically in Redis, so several bridge
 * instances share one queue: enqueue, claim (rate slot + contact lease + the contact's head
 * send), settle (sent and mapped, dead, or tried again later; lease released), hold (a send of
 * the contact is retrying inside `/message` somewhere), busy, and renew (heartbeat of leases and
 * holds). Time is Redis's own (`TIME`), as in the outbox. Keys (prefix `P`, the outbox's, e.g.
 * `custom-channel:{<channelId>}:`, then `send:`):
 *   send:pending  hash  id -> send JSON        send:dead      hash  id -> dead send JSON
 *   send:q:<c>    zset  id by arrival seq      send:ready     zset  contact -> when its head is due
 *   send:leased   zset  contact -> expiry      send:owner     hash  contact -> lease token
 *   send:hold:<c> zset  hold token -> expiry   send:uncertain set   ids whose last try got no answer
 *   send:slots    zset  token -> try start (the shared sendRate window)
 *   send:map      hash  provider id -> mId     send:map:order zset  provider id -> when mapped
 *   send:seq      string arrival counter       send:sent      string sends the provider took
 * Send JSON is written by the instances (JSON.stringify); the scripts only read it
 * (`cjson.decode`), since cjson would round epoch milliseconds when encoding.
 */

/** Shared preamble: ARGV[1] prefix, ARGV[2] maxAgeMs; Redis time in ms; key names and helpers. */
const PRELUDE = `
local P = ARGV[1] .. 'send:'
local maxAge = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local S, D, READY, LEASED, OWNER, UNC = P .. 'pending', P .. 'dead', P .. 'ready', P .. 'leased', P .. 'owner', P .. 'uncertain'
local function q(c) return P .. 'q:' .. c end
local function hold(c) return P .. 'hold:' .. c end
-- Puts contact c in the ready set at the time its head is due (now when uncertain), unless leased.
local function schedule(c)
  if redis.call('ZSCORE', LEASED, c) then return end
  for _ = 1, 100 do
    local head = redis.call('ZRANGE', q(c), 0, 0)[1]
    if not head then
      redis.call('ZREM', READY, c)
      return
    end
    local json = redis.call('HGET', S, head)
    if json then
      local send = cjson.decode(json)
      local due = math.min(tonumber(send.nextAt) or now, (tonumber(send.receivedAt) or now) + maxAge)
      if redis.call('SISMEMBER', UNC, head) == 1 then due = math.min(due, now) end
      redis.call('ZADD', READY, due, c)
      return
    end
    redis.call('ZREM', q(c), head)
  end
end
local function release(c, token)
  if redis.call('HGET', OWNER, c) ~= token then return end
  redis.call('ZREM', LEASED, c)
  redis.call('HDEL', OWNER, c)
  schedule(c)
end
-- Every reply ends with: pending, dead, leased, uncertain, mapped.
local function counts(reply)
  reply[#reply + 1] = redis.call('HLEN', S)
  reply[#reply + 1] = redis.call('HLEN', D)
  reply[#reply + 1] = redis.call('ZCARD', LEASED)
  reply[#reply + 1] = redis.call('SCARD', UNC)
  reply[#reply + 1] = redis.call('HLEN', P .. 'map')
  return reply
end
`;

/** ARGV: prefix, maxAge, id, contact, seq, send JSON, uncertain ('1'/'0'). */
export const ENQUEUE = `${PRELUDE}
local id, c = ARGV[3], ARGV[4]
redis.call('HSET', S, id, ARGV[6])
redis.call('ZADD', q(c), ARGV[5], id)
if ARGV[7] == '1' then redis.call('SADD', UNC, id) else redis.call('SREM', UNC, id) end
schedule(c)
return counts({})
`;

/**
 * ARGV: prefix, maxAge, token, sendRate (0: none), windowMs, leaseMs. Frees expired leases
 * first (a dead instance's contacts; their heads become uncertain: a try may have been in
 * flight), then: no rate slot -> { 0, waitMs }; nothing due -> { 0, waitMs or -1 }; else
 * { 1, contact, send JSON, uncertain, tooOld } with the contact leased to \`token\` (and a
 * rate slot taken unless the send is too old to try).
 */
export const CLAIM = `${PRELUDE}
local token, limit, window, lease = ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local SLOTS = P .. 'slots'
for _, c in ipairs(redis.call('ZRANGEBYSCORE', LEASED, '-inf', now)) do
  redis.call('ZREM', LEASED, c)
  redis.call('HDEL', OWNER, c)
  local head = redis.call('ZRANGE', q(c), 0, 0)[1]
  if head then redis.call('SADD', UNC, head) end
  schedule(c)
end
if limit > 0 then
  redis.call('ZREMRANGEBYSCORE', SLOTS, '-inf', now - window)
  if redis.call('ZCARD', SLOTS) >= limit then
    local oldest = tonumber(redis.call('ZRANGE', SLOTS, 0, 0, 'WITHSCORES')[2])
    return counts({ 0, math.max(1, math.ceil(oldest + window - now)) })
  end
end
for _ = 1, 20 do
  local pick = redis.call('ZRANGEBYSCORE', READY, '-inf', now, 'LIMIT', 0, 1)
  if #pick == 0 then
    local nxt = redis.call('ZRANGE', READY, 0, 0, 'WITHSCORES')
    if #nxt == 0 then return counts({ 0, -1 }) end
    return counts({ 0, math.max(1, math.ceil(tonumber(nxt[2]) - now)) })
  end
  local c = pick[1]
  redis.call('ZREM', READY, c)
  redis.call('ZREMRANGEBYSCORE', hold(c), '-inf', now)
  local held = redis.call('ZRANGE', hold(c), -1, -1, 'WITHSCORES')
  if #held > 0 then
    -- Held by a /message still retrying: looked at again when released (or when the hold expires).
    redis.call('ZADD', READY, held[2], c)
  else
    local head = redis.call('ZRANGE', q(c), 0, 0)[1]
    local json = head and redis.call('HGET', S, head)
    if json then
      redis.call('ZADD', LEASED, now + lease, c)
      redis.call('HSET', OWNER, c, token)
      local send = cjson.decode(json)
      local old = now - (tonumber(send.receivedAt) or now) >= maxAge
      if limit > 0 and not old then redis.call('ZADD', SLOTS, now, token) end
      return counts({ 1, c, json, redis.call('SISMEMBER', UNC, head), old and 1 or 0 })
    end
    schedule(c)
  end
end
return counts({ 0, 1 })
`;

/**
 * ARGV: prefix, maxAge, contact, token, id, kind ('sent', 'dead', 'retry'), JSON (the send
 * updated, or the dead letter), provider id, mapLimit, uncertain ('1'/'0'). 'sent' maps the
 * provider id (dropping the oldest mappings beyond mapLimit) and makes contacts waiting out a
 * backoff due now: the provider is back. The lease is released only if still ours.
 */
export const SETTLE = `${PRELUDE}
local c, token, id, kind, json = ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
if kind == 'sent' then
  local pm, limit = ARGV[8], tonumber(ARGV[9])
  redis.call('HDEL', S, id)
  redis.call('ZREM', q(c), id)
  redis.call('SREM', UNC, id)
  redis.call('HSET', P .. 'map', pm, id)
  redis.call('ZADD', P .. 'map:order', now, pm)
  local extra = redis.call('ZCARD', P .. 'map:order') - limit
  if extra > 0 then
    local gone = redis.call('ZPOPMIN', P .. 'map:order', extra)
    for i = 1, #gone, 2 do redis.call('HDEL', P .. 'map', gone[i]) end
  end
  for _, other in ipairs(redis.call('ZRANGEBYSCORE', READY, '(' .. now, '+inf')) do
    redis.call('ZADD', READY, now, other)
  end
  redis.call('INCR', P .. 'sent')
elseif kind == 'dead' then
  if redis.call('HDEL', S, id) == 1 then redis.call('HSET', D, id, json) end
  redis.call('ZREM', q(c), id)
  redis.call('SREM', UNC, id)
elseif redis.call('HEXISTS', S, id) == 1 then
  redis.call('HSET', S, id, json)
  if ARGV[10] == '1' then redis.call('SADD', UNC, id) else redis.call('SREM', UNC, id) end
end
release(c, token)
return counts({})
`;

/** ARGV: prefix, maxAge, contact, token, leaseMs, on ('1' hold, '0' release). */
export const HOLD = `${PRELUDE}
local c, token = ARGV[3], ARGV[4]
if ARGV[6] == '1' then
  redis.call('ZADD', hold(c), now + tonumber(ARGV[5]), token)
else
  redis.call('ZREM', hold(c), token)
  schedule(c)
end
return 1
`;

/** ARGV: prefix, maxAge, contact. Sends of the contact waiting anywhere, plus live holds. */
export const BUSY = `${PRELUDE}
local c = ARGV[3]
redis.call('ZREMRANGEBYSCORE', hold(c), '-inf', now)
return redis.call('ZCARD', q(c)) + redis.call('ZCARD', hold(c))
`;

/** ARGV: prefix, maxAge, leaseMs, then (kind 'l' lease or 'h' hold, contact, token) triples held here. */
export const RENEW = `${PRELUDE}
local lease = tonumber(ARGV[3])
for i = 4, #ARGV, 3 do
  local kind, c, token = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  if kind == 'l' then
    if redis.call('HGET', OWNER, c) == token then redis.call('ZADD', LEASED, 'XX', now + lease, c) end
  else
    redis.call('ZADD', hold(c), 'XX', now + lease, token)
  end
end
return 1
`;

/** ARGV: prefix, maxAge. { { contact, lease token, head id, ... } of the tries in flight, uncertain ids }. */
export const IN_FLIGHT = `${PRELUDE}
local tries = {}
local owners = redis.call('HGETALL', OWNER)
for i = 1, #owners, 2 do
  tries[#tries + 1] = owners[i]
  tries[#tries + 1] = owners[i + 1]
  tries[#tries + 1] = redis.call('ZRANGE', q(owners[i]), 0, 0)[1] or ''
end
return { tries, redis.call('SMEMBERS', UNC) }
`;
