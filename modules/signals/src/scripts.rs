//! The Lua scripts the module runs in Redis. Each takes the tenant's `instances` or `exporters`
//! key as its one declared key (so a cluster client routes it to the node of the tenant's
//! slot) and builds the tenant's other keys from the prefix, which carries the same hash tag.
//! Time is always Redis' own (`TIME`): publishers' and aggregators' clocks never enter a key
//! or an age (ADR 0010).
use std::sync::LazyLock;

/// A publisher's flush. `ARGV`: prefix, instance, key expiry (ms), most latency names
/// cluster-wide, then the gauge count and `name, value` pairs, the latency-name count and
/// names, the sketch count and for each `name, field count, field, count…` (fields are bucket
/// indices, `z` the zero bucket). Replaces the publisher's hash (a gauge it removed is gone),
/// adds its sketches into the current minute's merged hashes — for names already known
/// cluster-wide, or new ones while fewer than the limit are — stamps it live and forgets
/// publishers silent past the expiry. A publisher that left (`LEAVE`) is refused. Returns
/// `{now, left, refused…}`: Redis' time in ms, 1 when the publisher had left (nothing
/// written), and the names of the sketches the cluster-wide limit refused.
pub(crate) static FLUSH: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local p, inst, ttl, cap = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
if redis.call('EXISTS', p .. ':gone:' .. inst) == 1 then return {now, 1} end
local pub = p .. ':pub:' .. inst
local names = p .. ':latnames'
redis.call('DEL', pub)
local i = 5
local n = tonumber(ARGV[i]); i = i + 1
for _ = 1, n do
  redis.call('HSET', pub, 'g:' .. ARGV[i], ARGV[i + 1]); i = i + 2
end
n = tonumber(ARGV[i]); i = i + 1
for _ = 1, n do
  redis.call('HSET', pub, 'l:' .. ARGV[i], '1'); i = i + 1
end
redis.call('PEXPIRE', pub, ttl)
local minute = math.floor(now / 60000)
local out = {now, 0}
n = tonumber(ARGV[i]); i = i + 1
for _ = 1, n do
  local name, fields = ARGV[i], tonumber(ARGV[i + 1]); i = i + 2
  if redis.call('ZSCORE', names, name) or redis.call('ZCARD', names) < cap then
    redis.call('ZADD', names, now, name)
    local key = p .. ':lat:' .. name .. ':' .. minute
    for _ = 1, fields do
      redis.call('HINCRBY', key, ARGV[i], ARGV[i + 1]); i = i + 2
    end
    redis.call('EXPIRE', key, 3720)
  else
    out[#out + 1] = name; i = i + 2 * fields
  end
end
redis.call('ZADD', KEYS[1], now, inst)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. (now - ttl))
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('PEXPIRE', names, 3720000)
return out
",
    )
});

/// A publisher's clean stop: `ARGV` prefix, instance, expiry (ms). Its gauges leave every sum
/// at once, and a flush of it still in flight is refused afterwards.
pub(crate) static LEAVE: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r"
redis.call('SET', ARGV[1] .. ':gone:' .. ARGV[2], '1', 'PX', tonumber(ARGV[3]))
redis.call('ZREM', KEYS[1], ARGV[2])
return redis.call('DEL', ARGV[1] .. ':pub:' .. ARGV[2])
",
    )
});

/// The Redis side of an aggregation. `ARGV`: prefix, max age (ms), most names of each kind,
/// most latency windows to rebuild in this call, then the window lengths in minutes.
///
/// Forgets publishers older than the max age (and their hashes), sums each gauge over the live
/// ones, records each sum as a candidate for its minute's maximum and reads the maxima back per
/// window. Then brings each live latency signal's 15- and 60-minute window hashes (the closed
/// minutes before the current one) up to date: one minute on from the last read, by adding the
/// minute that closed and subtracting the ones that left (all still kept: minute hashes live
/// 62 minutes); any other gap, at first or after a pause or a clock step, by rebuilding the
/// windows from the minutes themselves — at most the given number of signals per call, the
/// rest in later calls (absent until then). A count that is not an integer below 2^53, or that
/// Redis refuses, is folded as the field `!`, which marks the window corrupt while that minute
/// is in it; nothing in a stored hash can fail the script.
///
/// Returns `{now, cut, gauges, latencies, live}`: `gauges` a flat list of `name, sum,
/// publishers, max…` (numbers as strings, `%.17g`, exact for doubles), `latencies` the live
/// latency names whose windows are current, `live` how many live latency names there are (more
/// than `latencies` while windows wait to be rebuilt: call again), `cut` how many names the cap
/// left out. Work: publishers × their
/// names, windows × names, one minute's buckets × 3 per latency signal, and a rebuild's 75
/// minutes for at most the given number of signals.
pub(crate) static READ: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local p, cap, rebuilds = ARGV[1], tonumber(ARGV[3]), tonumber(ARGV[4])
local oldest = '(' .. (now - tonumber(ARGV[2]))
for _, inst in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', oldest)) do
  redis.call('DEL', p .. ':pub:' .. inst)
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', oldest)
redis.call('ZREMRANGEBYSCORE', p .. ':latnames', '-inf', '(' .. (now - 3720000))
local sums, counts, gnames, lseen, lnames = {}, {}, {}, {}, {}
for _, inst in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local f = redis.call('HGETALL', p .. ':pub:' .. inst)
  for j = 1, #f, 2 do
    local kind, name = string.sub(f[j], 1, 2), string.sub(f[j], 3)
    if kind == 'g:' then
      local v = tonumber(f[j + 1])
      if v and v == v and v ~= math.huge and v ~= -math.huge then
        if not sums[name] then sums[name] = 0; counts[name] = 0; gnames[#gnames + 1] = name end
        sums[name] = sums[name] + v; counts[name] = counts[name] + 1
      end
    elseif kind == 'l:' and not lseen[name] then
      lseen[name] = true; lnames[#lnames + 1] = name
    end
  end
end
table.sort(gnames); table.sort(lnames)
local cut = 0
while #gnames > cap do table.remove(gnames); cut = cut + 1 end
while #lnames > cap do lseen[table.remove(lnames)] = nil; cut = cut + 1 end
local minute = math.floor(now / 60000)
local gmax = p .. ':gmax:' .. minute
for _, name in ipairs(gnames) do
  local cur = tonumber(redis.call('HGET', gmax, name))
  if not cur or sums[name] > cur then
    redis.call('HSET', gmax, name, string.format('%.17g', sums[name]))
  end
end
if #gnames > 0 then redis.call('EXPIRE', gmax, 3720) end
local windows = {}
for w = 5, #ARGV do windows[#windows + 1] = tonumber(ARGV[w]) end
local longest = windows[#windows] or 0
local best = {}
for back = 0, longest do
  local vals = #gnames > 0 and redis.call('HMGET', p .. ':gmax:' .. (minute - back), unpack(gnames)) or {}
  for k, name in ipairs(gnames) do
    local v = tonumber(vals[k])
    for wi, w in ipairs(windows) do
      if back <= w and v then
        local key = name .. '\0' .. wi
        if not best[key] or v > best[key] then best[key] = v end
      end
    end
  end
end
local gauges = {}
for _, name in ipairs(gnames) do
  gauges[#gauges + 1] = name
  gauges[#gauges + 1] = string.format('%.17g', sums[name])
  gauges[#gauges + 1] = counts[name]
  for wi = 1, #windows do
    gauges[#gauges + 1] = string.format('%.17g', best[name .. '\0' .. wi] or sums[name])
  end
end
local function add(dst, field, n)
  local v = redis.pcall('HINCRBY', dst, field, n)
  if type(v) == 'table' then v = redis.call('HINCRBY', dst, '!', n > 0 and 1 or -1); field = '!' end
  if v == 0 then redis.call('HDEL', dst, field) end
end
local function fold(dst, src, sign)
  local f = redis.call('HGETALL', src)
  for j = 1, #f, 2 do
    local n = tonumber(f[j + 1])
    if n and n == math.floor(n) and math.abs(n) < 9007199254740992 then
      add(dst, f[j], sign * n)
    else
      add(dst, '!', sign)
    end
  end
end
local rolled = p .. ':rolled'
local current = {}
for _, name in ipairs(lnames) do
  local lat = p .. ':lat:' .. name .. ':'
  local w15, w60 = p .. ':win15:' .. name, p .. ':win60:' .. name
  local last = tonumber(redis.call('HGET', rolled, name))
  if last == minute - 1 then
    current[#current + 1] = name
  elseif last == minute - 2 then
    fold(w15, lat .. (minute - 1), 1)
    fold(w60, lat .. (minute - 1), 1)
    fold(w15, lat .. (minute - 16), -1)
    fold(w60, lat .. (minute - 61), -1)
    redis.call('HSET', rolled, name, minute - 1)
    current[#current + 1] = name
  elseif rebuilds > 0 then
    rebuilds = rebuilds - 1
    redis.call('DEL', w15, w60)
    for back = 1, 60 do
      fold(w60, lat .. (minute - back), 1)
      if back <= 15 then fold(w15, lat .. (minute - back), 1) end
    end
    redis.call('HSET', rolled, name, minute - 1)
    current[#current + 1] = name
  end
  redis.call('EXPIRE', w15, 3720)
  redis.call('EXPIRE', w60, 3720)
end
for _, name in ipairs(redis.call('HKEYS', rolled)) do
  if not lseen[name] then redis.call('HDEL', rolled, name) end
end
redis.call('EXPIRE', rolled, 3720)
return {now, cut, gauges, current, #lnames}
",
    )
});

/// An exporter's claim of the current export interval. `ARGV`: prefix, exporter, interval
/// (ms). The interval's number is `⌊now / interval⌋` on Redis' clock; the first claim of it
/// wins (`SET NX`, expiring after two intervals), so however many aggregators run, one exports
/// each interval, and one killed mid-interval leaves the next to another. Returns `{now,
/// slot, won}`.
pub(crate) static CLAIM: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local every = tonumber(ARGV[3])
local slot = math.floor(now / every)
redis.call('ZADD', KEYS[1], now, ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. (now - 3 * every))
redis.call('PEXPIRE', KEYS[1], 3 * every)
local won = redis.call('SET', ARGV[1] .. ':export:' .. slot, ARGV[2], 'NX', 'PX', 2 * every)
return {now, slot, won and 1 or 0}
",
    )
});

/// An exporter's clean stop: `ARGV` exporter, interval (ms). Returns how many other exporters
/// claimed within the last two intervals (0: this was the last one).
pub(crate) static RETIRE: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREM', KEYS[1], ARGV[1])
return redis.call('ZCOUNT', KEYS[1], now - 2 * tonumber(ARGV[2]), '+inf')
",
    )
});
