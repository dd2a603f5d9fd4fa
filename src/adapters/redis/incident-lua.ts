/**
 * The incident store's Lua scripts. They live in a TypeScript module rather than `.lua` files
 * so the build carries them into `dist/` with everything else.
 *
 * The scripts hold no triage logic. They check that the state a decision was made on is still
 * the state in Redis (compare-and-set) and apply the decision's writes, all in one atomic step.
 * Times always come from the caller's Clock (never Redis `TIME`), so fake clocks work.
 *
 * Redis Cluster: every key shares the store's hash tag (see `IncidentKeys`), so keys the scripts
 * derive from `base` live in the same slot as the ones they are given.
 */

/** Shared helpers: key builders and `applyWrite`, which applies one encoded `IncidentWrite`. */
const PRELUDE = `
local base = ARGV[1]
local function ik(id) return base .. 'i:' .. id end
local function ak(id) return base .. 'a:' .. id end
local function tk(id) return base .. 't:' .. id end
local function pointerKey(gk)
  if #gk > 100 then gk = '#' .. redis.sha1hex(gk) end
  return base .. 'g:' .. gk
end

-- w = { id, h = {field, value, ...}, del = {field, ...}, a = {fp, record, ...}, t = {entry, ...},
--       carry = older incident id (optional), st = state after, cr = createdAt, new = true|false }
-- now = the caller's clock (ms): resolved incidents are listed in 'expiring' by when their keys expire.
local function applyWrite(w, resolvedTtl, timelineMax, now)
  local i, a, t = ik(w.id), ak(w.id), tk(w.id)
  if w.carry then
    -- The stale rule: the successor takes over the firing records (status is the first element).
    local src = redis.call('HGETALL', ak(w.carry))
    for n = 1, #src, 2 do
      if string.sub(src[n + 1], 1, 4) == '["f"' then redis.call('HSET', a, src[n], src[n + 1]) end
    end
  end
  if #w.h > 0 then redis.call('HSET', i, unpack(w.h)) end
  if #w.del > 0 then redis.call('HDEL', i, unpack(w.del)) end
  if #w.a > 0 then redis.call('HSET', a, unpack(w.a)) end
  if #w.t > 0 then
    local len = redis.call('RPUSH', t, unpack(w.t))
    if len > timelineMax then
      redis.call('LTRIM', t, len - timelineMax, -1)
      redis.call('HINCRBY', i, 'tlDropped', len - timelineMax)
    end
  end
  if w.new then redis.call('ZADD', base .. 'all', w.cr, w.id) end
  if w.st == 'resolved' then
    redis.call('ZREM', base .. 'open', w.id)
    redis.call('ZADD', base .. 'expiring', now + resolvedTtl, w.id)
    redis.call('PEXPIRE', i, resolvedTtl)
    redis.call('PEXPIRE', a, resolvedTtl)
    redis.call('PEXPIRE', t, resolvedTtl)
  else
    redis.call('ZADD', base .. 'open', w.cr, w.id)
    redis.call('ZREM', base .. 'expiring', w.id)
    redis.call('PERSIST', i)
    redis.call('PERSIST', a)
    redis.call('PERSIST', t)
  end
end

-- Keys expire by TTL but index entries do not: drop a few index entries of expired incidents per
-- write, so the 'all' index stays as small as the set of incidents that still exist.
local function pruneExpired(now)
  local gone = redis.call('ZRANGEBYSCORE', base .. 'expiring', '-inf', now, 'LIMIT', 0, 10)
  if #gone > 0 then
    redis.call('ZREM', base .. 'all', unpack(gone))
    redis.call('ZREM', base .. 'expiring', unpack(gone))
  end
end

-- The group pointer lives exactly as long as its incident: kept while active, expiring once resolved.
local function pointerLifetime(pkey, w, resolvedTtl)
  if w.st == 'resolved' then redis.call('PEXPIRE', pkey, resolvedTtl) else redis.call('PERSIST', pkey) end
end
`;

/**
 * One alert, one round trip: delivery-id dedup, compare-and-set on the group's state, then the
 * plan's writes, the delivery id and the storm counter.
 *
 * KEYS: 1 delivery id, 2 group pointer, 3 rate this minute, 4 rate last minute
 * ARGV: 1 base, 2 expected pointer ('' = none), 3 expected version ('0' = none),
 *       4 JSON [[fingerprint, expected record or ''], ...], 5 JSON plan {w = writes, p = new pointer, d = incident id},
 *       6 delivery-id TTL ms, 7 resolved TTL ms, 8 timeline max, 9 rate-key TTL ms, 10 now (ms)
 * Reply: {'dup', incidentId, incidentHash, rateThis, rateLast}
 *      | {'conflict', pointer, incidentHash, {record per fingerprint}}   (nothing written)
 *      | {'taken', id}                                                (a new id exists; nothing written)
 *      | {'ok', rateThis, rateLast}
 */
export const COMMIT_ALERT_LUA = `${PRELUDE}
local function rate()
  return tonumber(redis.call('GET', KEYS[3]) or '0'), tonumber(redis.call('GET', KEYS[4]) or '0')
end

local seen = redis.call('GET', KEYS[1])
if seen then
  local r1, r2 = rate()
  local h = {}
  if seen ~= '' then h = redis.call('HGETALL', ik(seen)) end
  return {'dup', seen, h, r1, r2}
end

local ptr = redis.call('GET', KEYS[2]) or ''
local ver = '0'
if ptr ~= '' then ver = redis.call('HGET', ik(ptr), 'v') or '0' end
local expected = cjson.decode(ARGV[4])
local same = (ptr == ARGV[2]) and (ver == ARGV[3])
if same and ptr ~= '' then
  for _, e in ipairs(expected) do
    if (redis.call('HGET', ak(ptr), e[1]) or '') ~= e[2] then
      same = false
      break
    end
  end
end
if not same then
  local h, records = {}, {}
  if ptr ~= '' then
    h = redis.call('HGETALL', ik(ptr))
    for n, e in ipairs(expected) do records[n] = redis.call('HGET', ak(ptr), e[1]) or '' end
  end
  return {'conflict', ptr, h, records}
end

local plan = cjson.decode(ARGV[5])
for _, w in ipairs(plan.w) do
  if w.new and redis.call('EXISTS', ik(w.id)) == 1 then return {'taken', w.id} end
end
local resolvedTtl, timelineMax, now = tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[10])
for _, w in ipairs(plan.w) do applyWrite(w, resolvedTtl, timelineMax, now) end
if #plan.w > 0 then pruneExpired(now) end
if plan.p then
  redis.call('SET', KEYS[2], plan.p)
  ptr = plan.p
end
for _, w in ipairs(plan.w) do
  if w.id == ptr then pointerLifetime(KEYS[2], w, resolvedTtl) end
end

if #plan.w == 0 then
  local r1, r2 = rate()
  return {'ok', r1, r2}
end
redis.call('SET', KEYS[1], plan.d or '', 'PX', ARGV[6])
local r1 = redis.call('INCR', KEYS[3])
if r1 == 1 then redis.call('PEXPIRE', KEYS[3], ARGV[9]) end
local _, r2 = rate()
return {'ok', r1, r2}
`;

/**
 * Reads an incident and its group's current incident id, for a transition decision.
 * KEYS: 1 the incident hash (declared so a cluster client routes the call to its slot)
 * ARGV: 1 base, 2 incident id.  Reply: {incidentHash, pointer or ''}
 */
export const READ_INCIDENT_LUA = `${PRELUDE}
local h = redis.call('HGETALL', KEYS[1])
if #h == 0 then return {{}, ''} end
local gk = redis.call('HGET', KEYS[1], 'gk') or ''
return {h, redis.call('GET', pointerKey(gk)) or ''}
`;

/**
 * Compare-and-set update of one incident (transitions): applied only if its version is still
 * the one the decision saw, and — for a reopen — the group still points at it.
 * KEYS: 1 the incident hash
 * ARGV: 1 base, 2 id, 3 expected version, 4 expected pointer ('*' = do not check),
 *       5 JSON write, 6 resolved TTL ms, 7 timeline max, 8 '1' = make it the group's current incident, 9 now (ms)
 * Reply: {'ok'} | {'conflict'} | {'missing'}
 */
export const UPDATE_INCIDENT_LUA = `${PRELUDE}
local id = ARGV[2]
local ver = redis.call('HGET', KEYS[1], 'v')
if not ver then return {'missing'} end
if ver ~= ARGV[3] then return {'conflict'} end
local pkey = pointerKey(redis.call('HGET', KEYS[1], 'gk') or '')
local ptr = redis.call('GET', pkey) or ''
if ARGV[4] ~= '*' and ptr ~= ARGV[4] then return {'conflict'} end
local w = cjson.decode(ARGV[5])
applyWrite(w, tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[9]))
if ARGV[8] == '1' then
  redis.call('SET', pkey, id)
  ptr = id
end
if ptr == id then pointerLifetime(pkey, w, tonumber(ARGV[6])) end
return {'ok'}
`;

/**
 * Appends one timeline entry and counts it as activity (a job ran, a note). No decision depends
 * on the old state, so no compare-and-set: the version is bumped so cached snapshots refresh.
 * KEYS: 1 the incident hash
 * ARGV: 1 base, 2 id, 3 entry JSON, 4 now, 5 timeline max, 6 resolved TTL ms
 * Reply: the incident hash after, or {} when there is no such incident.
 */
export const APPEND_TIMELINE_LUA = `${PRELUDE}
local id = ARGV[2]
local i, t = KEYS[1], tk(id)
if redis.call('EXISTS', i) == 0 then return {} end
local len = redis.call('RPUSH', t, ARGV[3])
local max = tonumber(ARGV[5])
if len > max then
  redis.call('LTRIM', t, len - max, -1)
  redis.call('HINCRBY', i, 'tlDropped', len - max)
end
local now = tonumber(ARGV[4])
if now > tonumber(redis.call('HGET', i, 'actAt') or '0') then redis.call('HSET', i, 'actAt', ARGV[4]) end
if now > tonumber(redis.call('HGET', i, 'upAt') or '0') then redis.call('HSET', i, 'upAt', ARGV[4]) end
redis.call('HINCRBY', i, 'v', 1)
if redis.call('HGET', i, 'st') == 'resolved' then
  -- Keep the incident's keys and its index entry expiring together.
  redis.call('PEXPIRE', i, ARGV[6])
  redis.call('PEXPIRE', t, ARGV[6])
  redis.call('PEXPIRE', ak(id), ARGV[6])
  redis.call('ZADD', base .. 'expiring', now + tonumber(ARGV[6]), id)
end
return redis.call('HGETALL', i)
`;
