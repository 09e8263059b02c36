--[[
  Ranks the accounts of one event over a window (docs/contract.md §9): the union of its sorted sets.

  KEYS[1..n]   the event's ranking sets that make up the window (one hash slot: the `{event}` tag)

  ARGV[1]      how many accounts to return (first)
  ARGV[2..n+1] the weight of each set: -1 adds it, 1 takes it away (a parent minus its children
               outside the window). Scores come out negated, count = -score, so that ZUNION's own
               order (score ascending, then member ascending) is count descending, then name ascending.

  Output: { accountCount, account1, score1, ..., accountk, scorek }, k = min(first, accountCount),
  scores negated counts as Redis formats them. accountCount counts accounts with a count > 0
  (a set taken away can leave an account at 0; those sort last).
  Read-only: no temporary key, nothing replicated. Needs Redis 6.2 (ZUNION).
]]
local n = #KEYS
local cmd = { 'ZUNION', n }
for i = 1, n do cmd[#cmd + 1] = KEYS[i] end
cmd[#cmd + 1] = 'WEIGHTS'
for i = 1, n do cmd[#cmd + 1] = ARGV[i + 1] end
cmd[#cmd + 1] = 'WITHSCORES'
local r = redis.call(unpack(cmd))

local count = #r / 2
while count > 0 and tonumber(r[2 * count]) >= 0 do
  count = count - 1
end
local first = math.min(tonumber(ARGV[1]), count)
local out = { count }
for i = 1, 2 * first do out[#out + 1] = r[i] end
return out
