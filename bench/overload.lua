-- wrk script for bench/overload.py: a mix of pages, searches, signed-in pages and
-- posts, taken in turn from the plan file ($OVERLOAD_PLAN, written by overload.py),
-- counting every status code and every 503/429 that comes without Retry-After.
-- The summary goes to $OVERLOAD_OUT as JSON.

local plan = dofile(os.getenv("OVERLOAD_PLAN"))
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

local n = 0
counts = {}
no_retry_after = 0

-- A number in consonants: digits could look like a phone number to the
-- personal-detail guard.
local function letters(k)
  return (tostring(k):gsub("%d", function(d)
    return string.sub("bcdfghjklm", d + 1, d + 1)
  end))
end

function request()
  n = n + 1
  local r = plan[(n + id * 7) % #plan + 1]
  local body = nil
  if r.body then
    body = string.format(r.body, letters(id) .. "x" .. letters(n))
  end
  return wrk.format(r.method, r.path, r.headers, body)
end

function response(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
  if (status == 503 or status == 429) and not (headers["retry-after"] or headers["Retry-After"]) then
    no_retry_after = no_retry_after + 1
  end
end

function done(summary, latency, requests)
  local all, missing = {}, 0
  for _, t in ipairs(threads) do
    for status, count in pairs(t:get("counts")) do
      all[tostring(status)] = (all[tostring(status)] or 0) + count
    end
    missing = missing + t:get("no_retry_after")
  end
  local parts = {}
  for status, count in pairs(all) do
    table.insert(parts, string.format('"%s": %d', status, count))
  end
  local e = summary.errors
  local out = io.open(os.getenv("OVERLOAD_OUT"), "w")
  out:write(string.format(
    '{"requests": %d, "duration_us": %d, "bytes": %d, "statuses": {%s}, "no_retry_after": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_ms": {"p50": %.2f, "p90": %.2f, "p99": %.2f, "max": %.2f}}\n',
    summary.requests, summary.duration, summary.bytes, table.concat(parts, ", "), missing,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000))
  out:close()
end
