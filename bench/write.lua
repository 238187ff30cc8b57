-- wrk script for bench/write.py: every request is a new reply through the web
-- form (POST /t/<id>/reply), by the next member in turn, to a random topic, with
-- a text no one has posted before. Arguments: the sessions file (alias<TAB>token
-- lines), a file of topic ids (one a line) and the number of wrk threads.

local threads = {}

function setup(thread)
  thread:set("index", #threads)
  table.insert(threads, thread)
end

local CSRF = string.rep("benchcsrf", 5)
local OPENINGS = {
  "Thank you for sharing this, it helps to read that others feel the same.",
  "We had the same question last spring and the nurse explained it well.",
  "I hope the next appointment brings better news for you.",
  "Small steps every day made the biggest difference for me.",
  "My husband found the carers group on Tuesdays very useful.",
  "Ask the team about it at your next visit, they were kind to us.",
  "The second cycle was easier than the first for me.",
  "Sending you a hug from a rainy afternoon.",
}
local CLOSINGS = {
  "Take care of yourself.",
  "Let us know how you get on.",
  "Thinking of you.",
  "One day at a time.",
  "You are not alone in this.",
}
-- Syllables for a word that makes every text new (digits could look like a
-- phone number to the personal-detail guard).
local SYLLABLES = { "ba", "ko", "mi", "ru", "te", "lo", "na", "pi", "su", "de", "fa", "go", "hu", "ji", "ve", "zo" }

local sessions = {}
local topics = {}
local mine = 0
local thread_count = 1
local sent = 0
-- Global, so that `done` can read each thread's with thread:get.
statuses = {}

local function word(n)
  local out = {}
  repeat
    table.insert(out, SYLLABLES[(n % 16) + 1])
    n = math.floor(n / 16)
  until n == 0
  return table.concat(out)
end

local function urlencode(s)
  return (s:gsub("[^%w%-_%.~]", function(c)
    return string.format("%%%02X", string.byte(c))
  end))
end

function init(args)
  for line in io.lines(args[1]) do
    local token = line:match("\t(.+)$")
    if token then
      table.insert(sessions, token)
    end
  end
  for line in io.lines(args[2]) do
    table.insert(topics, line)
  end
  thread_count = tonumber(args[3]) or 1
  math.randomseed(os.time() + index * 7919)
  mine = index
end

function request()
  sent = sent + 1
  -- Threads take turns through the members: thread i the i-th, then every
  -- (threads)-th after it.
  local n = mine + (sent - 1) * thread_count
  local session = sessions[(n % #sessions) + 1]
  local topic = topics[math.random(#topics)]
  local text = OPENINGS[math.random(#OPENINGS)] .. " " .. CLOSINGS[math.random(#CLOSINGS)]
    .. " (" .. word(n * 977 + mine) .. ")"
  local started = (os.time() - 90) * 1000
  local body = "csrf=" .. CSRF .. "&body=" .. urlencode(text) .. "&started=" .. started
    .. "&website=&acknowledge="
  return wrk.format("POST", "/t/" .. topic .. "/reply", {
    ["Cookie"] = "hearth_session=" .. session .. "; hearth_csrf=" .. CSRF,
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    local s = thread:get("statuses")
    for status, n in pairs(s) do
      counts[tostring(status)] = (counts[tostring(status)] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(counts) do
    table.insert(parts, string.format('"%s":%d', status, n))
  end
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"socket_errors":%d,"non_2xx_3xx":%d,"p50_us":%d,"p95_us":%d,"p99_us":%d,"max_us":%d,"statuses":{%s}}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max,
    table.concat(parts, ",")))
end
