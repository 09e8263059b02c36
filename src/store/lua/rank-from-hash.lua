--[[
  Sets an account's ranking entries from one counter hash, atomically with reading it (reindex,
  docs/contract.md §9): an increment that a flush makes meanwhile lands either before (and is read) or after
  (and is added by the flush's own ZINCRBY), never lost under a ZADD.

  KEYS[1]      the counter hash (track:{account}:{event}:...)
  KEYS[2..n]   the ranking sets to set, one per ARGV field below

  ARGV[1]      the member (the account)
  ARGV[2]      seconds until the sets expire (minute sets), or 0 (kept)
  ARGV[3..]    per set: the hash field whose value is its score, or '' for the sum of every field

  Output: how many entries were set (fields with a count > 0).
]]
local member = ARGV[1]
local ttl = tonumber(ARGV[2])
local n = 0
for i = 2, #KEYS do
  local field = ARGV[i + 1]
  local score = 0
  if field == '' then
    for _, v in ipairs(redis.call('HVALS', KEYS[1])) do score = score + (tonumber(v) or 0) end
  else
    score = tonumber(redis.call('HGET', KEYS[1], field)) or 0
  end
  if score > 0 then
    redis.call('ZADD', KEYS[i], score, member)
    if ttl > 0 then redis.call('EXPIRE', KEYS[i], ttl) end
    n = n + 1
  end
end
return n
