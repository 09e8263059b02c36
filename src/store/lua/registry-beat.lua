--[[
  Registers (or renews) one ingest process in the shard registry (store/shard-registry.ts).

  KEYS[1]   the registry: sorted set, member 'i/n id state', score = expiry (ms, Redis's clock)
  ARGV[1]   this process's member now
  ARGV[2]   time to live, ms
  ARGV[3]   its member as last written ('' = none): removed when it differs (the state changed)

  Output: the expiry written (ms).
]]
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if ARGV[3] ~= '' and ARGV[3] ~= ARGV[1] then
  redis.call('ZREM', KEYS[1], ARGV[3])
end
local expires = now + tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], expires, ARGV[1])
return expires
