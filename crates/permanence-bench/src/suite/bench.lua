-- wrk script of `permanence-bench suite`: GraphQL POST bodies read from files, every
-- response checked, and an optional fixed request rate.
--
-- wrk -t1 -c C -d Ns -s bench.lua URL -- READS WRITES READ_TOKEN WRITE_TOKEN RATE WRITE_EVERY
--   READS, WRITES: files of one JSON body a line ("-" for none); reads are cycled, each write
--   is sent once (a step recorded with expectedVersion cannot be recorded twice);
--   RATE: requests a second for the whole run (0: as fast as the connections go);
--   WRITE_EVERY: 0 no writes, 1 only writes, 10 one request in ten is a write.
-- A response is a failure when its status is not 200 or it carries GraphQL "errors".
-- `done` prints one line "BENCH_JSON {...}" that the suite parses.

local ffi = require("ffi")
pcall(ffi.cdef, "typedef struct { long tv_sec; long tv_nsec; } bench_ts; int clock_gettime(int, bench_ts *);")
local ts = ffi.new("bench_ts")
local function now_ms()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

local threads = {}
function setup(thread)
  table.insert(threads, thread)
end

local reads, writes = {}, {}
local read_at, write_at, sent = 0, 0, 0
local interval, next_at
local write_every = 0
local read_headers, write_headers
local sentinel = '{"query":"{ today }"}'

-- Read back by `done` through thread:get, so global.
ok, failed, write_ok, write_failed, exhausted = 0, 0, 0, 0, 0
first_ms, last_ms = 0, 0
failures = ""

local function load(path, into)
  if path == "-" then
    return
  end
  for line in io.lines(path) do
    if #line > 0 then
      into[#into + 1] = line
    end
  end
end

function init(args)
  load(args[1], reads)
  load(args[2], writes)
  -- A token of "-" sends none (PostGraphile without JWT settings refuses a bearer token).
  read_headers = { ["Content-Type"] = "application/json" }
  write_headers = { ["Content-Type"] = "application/json" }
  if args[3] ~= "-" then
    read_headers["Authorization"] = "Bearer " .. args[3]
  end
  if args[4] ~= "-" then
    write_headers["Authorization"] = "Bearer " .. args[4]
  end
  local rate = tonumber(args[5])
  if rate > 0 then
    interval = 1000.0 / rate
  end
  write_every = tonumber(args[6])
end

-- A schedule, not a pause: each request gets the next slot, so the offered rate holds
-- whatever the latency (requests behind schedule go at once).
function delay()
  if not interval then
    return 0
  end
  local t = now_ms()
  if not next_at then
    next_at = t
  end
  next_at = next_at + interval
  local d = next_at - t
  if d < 0 then
    return 0
  end
  return d
end

function request()
  sent = sent + 1
  if first_ms == 0 then
    first_ms = now_ms()
  end
  local is_write = write_every > 0 and (sent % write_every == 0)
  if is_write and write_at < #writes then
    write_at = write_at + 1
    return wrk.format("POST", nil, write_headers, writes[write_at])
  end
  if #reads == 0 then
    -- Every write has been sent: stop rather than send one twice.
    exhausted = 1
    wrk.thread:stop()
    return wrk.format("POST", nil, read_headers, sentinel)
  end
  read_at = read_at % #reads + 1
  return wrk.format("POST", nil, read_headers, reads[read_at])
end

function response(status, headers, body)
  -- A write's answer names its field, in data or in an error's path.
  local is_write = string.find(body, '"recordRouteStep"', 1, true) ~= nil
  local bad = status ~= 200 or string.find(body, '"errors"', 1, true) ~= nil
  if bad then
    failed = failed + 1
    if #failures < 600 then
      failures = failures .. string.gsub(string.sub(body, 1, 280), "[\r\n|]", " ") .. "|"
    end
  else
    ok = ok + 1
  end
  if is_write then
    if bad then
      write_failed = write_failed + 1
    else
      write_ok = write_ok + 1
    end
    last_ms = now_ms()
  end
end

function done(summary, latency, requests)
  local t = { ok = 0, failed = 0, write_ok = 0, write_failed = 0, exhausted = 0 }
  local first, last = math.huge, 0
  local kept = ""
  for _, thread in ipairs(threads) do
    for k, _ in pairs(t) do
      t[k] = t[k] + (thread:get(k) or 0)
    end
    local f, l = thread:get("first_ms") or 0, thread:get("last_ms") or 0
    if f > 0 and f < first then
      first = f
    end
    if l > last then
      last = l
    end
    kept = kept .. (thread:get("failures") or "")
  end
  local write_ms = 0
  if last > 0 and first < math.huge then
    write_ms = last - first
  end
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"ok":%d,"failed":%d,"write_ok":%d,"write_failed":%d,' ..
    '"exhausted":%d,"write_ms":%.3f,"mean_us":%.1f,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"connect_errors":%d,"read_errors":%d,"write_errors":%d,"status_errors":%d,"timeouts":%d}\n',
    summary.requests, summary.duration, t.ok, t.failed, t.write_ok, t.write_failed, t.exhausted, write_ms,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status,
    summary.errors.timeout))
  io.write("BENCH_FAILURES " .. kept .. "\n")
end
