-- Shared by the scenario scripts: counts every response by status, counts
-- as an error any response other than the expected status or without the
-- expected text in its body, and prints one JSON line with the results for
-- bench/report. Loaded with dofile() from each scenario; wrk gives every
-- thread its own Lua state, so the counters are per thread and done()
-- gathers them.

local M = {}

-- What a good answer looks like; a scenario overrides these before init.
M.expect_status = 200
M.expect_text = nil

local threads = {}

function M.setup(thread)
   table.insert(threads, thread)
end

-- Per-thread counters (globals of the thread's state, read by done()).
statuses = {}
bad = 0

function M.response(status, headers, body)
   local key = tostring(status)
   statuses[key] = (statuses[key] or 0) + 1
   if status ~= M.expect_status then
      bad = bad + 1
   elseif M.expect_text and not (body and body:find(M.expect_text, 1, true)) then
      bad = bad + 1
   end
end

local function json_counts(t)
   local parts = {}
   for k, v in pairs(t) do
      table.insert(parts, string.format('"%s":%d', k, v))
   end
   table.sort(parts)
   return "{" .. table.concat(parts, ",") .. "}"
end

function M.done(summary, latency, requests)
   local all, nbad = {}, 0
   for _, t in ipairs(threads) do
      for k, v in pairs(t:get("statuses") or {}) do
         all[k] = (all[k] or 0) + v
      end
      nbad = nbad + (t:get("bad") or 0)
   end
   local e = summary.errors
   io.write(string.format(
      'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
      '"bad_responses":%d,"statuses":%s,' ..
      '"socket_errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d},' ..
      '"latency_us":{"min":%d,"mean":%.1f,"p50":%d,"p90":%d,"p99":%d,"p999":%d,"max":%d}}\n',
      summary.requests, summary.duration, summary.bytes, nbad, json_counts(all),
      e.connect, e.read, e.write, e.timeout,
      latency.min, latency.mean, latency:percentile(50), latency:percentile(90),
      latency:percentile(99), latency:percentile(99.9), latency.max))
end

-- Installs the wrk hooks of a scenario.
function M.install()
   setup = M.setup
   response = M.response
   done = M.done
end

-- A required setting from the environment (set by bench/run.sh).
function M.env(name)
   local v = os.getenv(name)
   if not v or v == "" then
      error("bench: " .. name .. " is not set")
   end
   return v
end

return M
