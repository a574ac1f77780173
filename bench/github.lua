-- wrk script: POSTs the signed 2 KB GitHub-style body with a unique X-GitHub-Delivery per request,
-- and prints a JSON summary line (BENCH_JSON …) that bench/run.ts reads.
-- Environment: BENCH_BODY_FILE, BENCH_SIGNATURE, BENCH_RUN (0–255, unique per run). The path is the URL's.
-- BENCH_THINK_MS (optional): a connection waits this long on average (exponentially distributed)
-- before each request, which paces the load below saturation.
local f = assert(io.open(os.getenv("BENCH_BODY_FILE"), "rb"))
local body = f:read("*a")
f:close()
local signature = os.getenv("BENCH_SIGNATURE")
local run = os.getenv("BENCH_RUN") or "run"
local think = tonumber(os.getenv("BENCH_THINK_MS") or "0")

local threads = 0
function setup(thread)
  thread:set("thread_id", threads)
  threads = threads + 1
end

local counter = 0
local suffix
local headers = {
  ["Content-Type"] = "application/json",
  ["User-Agent"] = "GitHub-Hookshot/044aadd",
  ["X-GitHub-Event"] = "push",
  ["X-GitHub-Hook-ID"] = "292430182",
  ["X-Hub-Signature-256"] = signature,
}

function init(args)
  math.randomseed(os.time() * 1000 + thread_id * 7919 + tonumber(run))
  suffix = string.format("-%02x-%02x-", tonumber(run) % 256, thread_id % 256)
end

-- Unique and random-looking: a random head (so the unique index sees random inserts, as with real
-- GitHub GUIDs), then run, thread and counter.
function request()
  counter = counter + 1
  headers["X-GitHub-Delivery"] = string.format("%06x%06x", math.random(0, 16777215), math.random(0, 16777215)) .. suffix .. string.format("%010x", counter)
  return wrk.format("POST", wrk.path, headers, body)
end

-- wrk's timers count whole milliseconds: round up or down at random so the mean stays `think`.
if think > 0 then
  function delay()
    local ms = -think * math.log(1 - math.random())
    local whole = math.floor(ms)
    if math.random() < ms - whole then whole = whole + 1 end
    return whole
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"durationUs":%d,"non2xx":%d,"connectErrors":%d,"readErrors":%d,"writeErrors":%d,"timeouts":%d,"p50Us":%d,"p90Us":%d,"p99Us":%d,"maxUs":%d}\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
