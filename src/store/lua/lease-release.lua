--[[
  Releases the lease of one ingest shard if the caller holds it (a clean stop: the standby takes
  over at once instead of after the lease's time to live).

  KEYS[1]   the lease
  ARGV[1]   the caller's id

  Output: 1 released, 0 not the caller's.
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
