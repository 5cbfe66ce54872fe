-- wrk's script for the append benchmark: each request is one development of a subject of its
-- own ("meeting:bench-<thread>-<n>"), so no two requests touch the same stream.
-- Arguments after `--`: "post" <body template file> <token>, or "get" <path> (the ceiling).
-- Prints one JSON line at the end: requests, seconds, the answers that were not the expected
-- status (and the first of them), socket errors.

local created = 0
local threads = {}

function setup(thread)
  created = created + 1
  thread:set("id", created)
  table.insert(threads, thread)
end

function init(args)
  mode = args[1]
  if mode == "post" then
    local file = assert(io.open(args[2], "rb"))
    template = file:read("*a")
    file:close()
    headers = {["Authorization"] = "Bearer " .. args[3], ["Content-Type"] = "application/json"}
    expected = 201
  else
    path = args[2]
    expected = 200
  end
  sent = 0
  unexpected = 0
  first_unexpected = ""
end

function request()
  if mode ~= "post" then
    return wrk.format("GET", path)
  end
  sent = sent + 1
  local subject = "meeting:bench-" .. id .. "-" .. sent
  return wrk.format("POST", "/v1/events", headers, (template:gsub("__SUBJECT__", subject, 1)))
end

function response(status, headers, body)
  if status ~= expected then
    unexpected = unexpected + 1
    if first_unexpected == "" then
      first_unexpected = status .. " " .. string.sub(body or "", 1, 200)
    end
  end
end

local function quoted(text)
  return '"' .. text:gsub('[%c"\\]', function(c) return string.format("\\u%04x", c:byte()) end) .. '"'
end

function done(summary, latency, requests)
  local unexpected_total, first = 0, ""
  for _, thread in ipairs(threads) do
    unexpected_total = unexpected_total + thread:get("unexpected")
    if first == "" then first = thread:get("first_unexpected") end
  end
  local errors = summary.errors
  io.write(string.format(
    '{"requests": %d, "seconds": %.6f, "unexpected": %d, "first_unexpected": %s, '
      .. '"socket_errors": %d, "p50_ms": %.3f, "p99_ms": %.3f}\n',
    summary.requests, summary.duration / 1e6, unexpected_total, quoted(first),
    errors.connect + errors.read + errors.write + errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
