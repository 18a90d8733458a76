-- wrk script: cycle through the paths listed in a file (one per line), and
-- print the run's numbers as one JSON line starting with "BENCH-JSON ".
-- Usage: wrk ... -s wrk_paths.lua http://host:port -- paths.txt
-- Each wrk thread starts at a different offset so threads do not move in step.

local paths = {}
local counter = 0
local offset = 0
local threads = 0

function setup(thread)
  thread:set("thread_index", threads)
  threads = threads + 1
end

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then paths[#paths + 1] = line end
  end
  if #paths == 0 then error("no paths in " .. tostring(args[1])) end
  offset = (thread_index or 0) * 7919
end

function request()
  counter = counter + 1
  return wrk.format("GET", paths[(offset + counter) % #paths + 1])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH-JSON {"requests": %d, "duration_us": %d, "bytes": %d, "connect": %d, "read": %d, "write": %d, ' ..
    '"status": %d, "timeout": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
