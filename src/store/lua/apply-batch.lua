--[[
  Applies one flush chunk exactly once.

  KEYS[1]      guard key: present once this chunk has been applied
  KEYS[2]      only when ARGV[3] is not '': the shard's lease (fencing, below)
  KEYS[2|3..n] the keys written, in the order of their ARGV records

  ARGV[1]      guard TTL in seconds (how long a retried chunk is recognised)
  ARGV[2]      minute-key TTL in seconds
  ARGV[3]      the lease owner this write needs ('' = not fenced)
  ARGV[4..]    one record per key written:
                 'h' n field1 delta1 ... fieldn deltan   HINCRBY each field
                 'x' n field1 delta1 ... fieldn deltan   HINCRBY each field, then EXPIRE ARGV[2]
                 's' n member1 ... membern               SADD each member
                 'z' n member1 delta1 ... membern deltan ZINCRBY each member (rankings, docs/contract.md §9)
                 'y' n member1 delta1 ... membern deltan ZINCRBY each member, then EXPIRE ARGV[2]

  Output: 1 when applied now, 0 when the guard shows it was applied before, -1 when refused
  because the lease is not ARGV[3]'s (nothing written). A key of the wrong
  type is an error reply BEFORE anything is written (a script is not rolled back: checking first
  keeps a rejected chunk from being half-applied, so its retry cannot double-count).
]]
local guard = KEYS[1]
if redis.call('EXISTS', guard) == 1 then
  return 0
end

-- Fencing (--shard leases, decision 5): only the process that holds the shard's lease writes.
local first = 2
if ARGV[3] ~= '' then
  if redis.call('GET', KEYS[2]) ~= ARGV[3] then
    return -1
  end
  first = 3
end

-- The type each op writes: a set, a sorted set (the rankings), or else a hash.
local function wanted(op)
  if op == 's' then return 'set' end
  if op == 'z' or op == 'y' then return 'zset' end
  return 'hash'
end

local c = 4
for i = first, #KEYS do
  local want = wanted(ARGV[c])
  local t = redis.call('TYPE', KEYS[i])['ok']
  if t ~= 'none' and t ~= want then
    return redis.error_reply('WRONGTYPE ' .. KEYS[i] .. ' holds a ' .. t .. ', not a ' .. want)
  end
  local n = tonumber(ARGV[c + 1])
  c = c + 2 + (ARGV[c] == 's' and n or 2 * n)
end

local a = 4
for i = first, #KEYS do
  local key = KEYS[i]
  local op = ARGV[a]
  local n = tonumber(ARGV[a + 1])
  a = a + 2
  if op == 's' then
    -- unpack() is capped by Lua's stack (~8000 values): add large sets a slice at a time.
    for j = a, a + n - 1, 1000 do
      redis.call('SADD', key, unpack(ARGV, j, math.min(j + 999, a + n - 1)))
    end
    a = a + n
  elseif op == 'z' or op == 'y' then
    -- Rankings: the same guard, the same chunk as the counters they mirror.
    for j = a, a + 2 * n - 1, 2 do
      redis.call('ZINCRBY', key, ARGV[j + 1], ARGV[j])
    end
    a = a + 2 * n
    if op == 'y' then
      redis.call('EXPIRE', key, ARGV[2])
    end
  else
    for j = a, a + 2 * n - 1, 2 do
      redis.call('HINCRBY', key, ARGV[j], ARGV[j + 1])
    end
    a = a + 2 * n
    if op == 'x' then
      redis.call('EXPIRE', key, ARGV[2])
    end
  end
end

redis.call('SET', guard, '1', 'EX', ARGV[1])
return 1
