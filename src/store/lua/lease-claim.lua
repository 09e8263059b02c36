--[[
  Claims or renews the lease of one ingest shard (store/shard-lease.ts; fencing, decision 5).

  KEYS[1]   the lease: the owner's id, expiring (PX) unless renewed
  KEYS[2]   the lease's epoch: how many times it was newly claimed (never expires)
  ARGV[1]   the claimant's id
  ARGV[2]   time to live, ms
  ARGV[3]   the epoch the claimant held ('' = none: a new claim)

  Output: { 1, epoch } the lease is the claimant's (renewed, or claimed);
          { 0, owner, pttl } it is not (owner '' = it lapsed, but was claimed by another since
          the claimant held it: what the claimant counted meanwhile may have been counted twice,
          so it must not take the lease back with it).
]]
local current = redis.call('GET', KEYS[1])
local epoch = redis.call('GET', KEYS[2])
if current == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return { 1, epoch or ARGV[3] }
end
if current then
  return { 0, current, redis.call('PTTL', KEYS[1]) }
end
if ARGV[3] ~= '' then
  -- A holder whose lease lapsed (a pause, an outage) takes it back only if nobody claimed it since.
  if epoch and epoch ~= ARGV[3] then
    return { 0, '', 0 }
  end
  if not epoch then
    -- Redis lost its data (a restart without persistence): nobody can have claimed it since.
    redis.call('SET', KEYS[2], ARGV[3])
  end
  epoch = ARGV[3]
else
  epoch = tostring(redis.call('INCR', KEYS[2]))
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return { 1, epoch }
