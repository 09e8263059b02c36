--[[
  Reads the live members of the shard registry (store/shard-registry.ts), trimming the expired
  ones first: a read costs what is live, not what has ever lived.

  KEYS[1]   the registry: sorted set, score = expiry (ms, Redis's clock)

  Output: the members whose expiry is still ahead.
]]
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf')
