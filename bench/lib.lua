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

-- A scenario that sends more than one kind of request (S2: authorize, then
-- token) lists one expectation per kind instead, each with its own status:
--   M.kinds = { { name = "authorize", status = 302, check = f }, ... }
-- wrk does not say which request an answer belongs to, but the kinds'
-- statuses differ, so the status picks the expectation and that kind's
-- check(headers, body) must then return true. Good answers are counted per
-- kind; anything else is an error.
M.kinds = nil

local threads = {}

function M.setup(thread)
   table.insert(threads, thread)
   -- Lets a thread take its own share of a list (bench/refresh.lua).
   thread:set("thread_index", #threads - 1)
end

-- Per-thread counters (globals of the thread's state, read by done()).
statuses = {}
good = {}
bad = 0

local function check_kinds(status, headers, body)
   for _, k in ipairs(M.kinds) do
      if k.status == status then
         if k.check and not k.check(headers or {}, body or "") then
            return false
         end
         good[k.name] = (good[k.name] or 0) + 1
         return true
      end
   end
   return false
end

function M.response(status, headers, body)
   local key = tostring(status)
   statuses[key] = (statuses[key] or 0) + 1
   if M.kinds then
      if not check_kinds(status, headers, body) then
         bad = bad + 1
      end
   elseif status ~= M.expect_status then
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
   local all, kinds, nbad = {}, {}, 0
   for _, t in ipairs(threads) do
      for k, v in pairs(t:get("statuses") or {}) do
         all[k] = (all[k] or 0) + v
      end
      for k, v in pairs(t:get("good") or {}) do
         kinds[k] = (kinds[k] or 0) + v
      end
      nbad = nbad + (t:get("bad") or 0)
   end
   local e = summary.errors
   io.write(string.format(
      'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
      '"bad_responses":%d,"statuses":%s,"kinds":%s,' ..
      '"socket_errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d},' ..
      '"latency_us":{"min":%d,"mean":%.1f,"p50":%d,"p90":%d,"p99":%d,"p999":%d,"max":%d}}\n',
      summary.requests, summary.duration, summary.bytes, nbad, json_counts(all),
      json_counts(kinds), e.connect, e.read, e.write, e.timeout,
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

-- A first-in first-out queue: O(1) at both ends.
function M.queue()
   return { first = 1, last = 0 }
end

function M.push(q, v)
   q.last = q.last + 1
   q[q.last] = v
end

function M.pop(q)
   if q.first > q.last then
      return nil
   end
   local v = q[q.first]
   q[q.first] = nil
   q.first = q.first + 1
   return v
end

-- application/x-www-form-urlencoded and query values (RFC 3986 unreserved
-- characters kept, the rest percent-encoded).
function M.urlencode(s)
   return (s:gsub("[^%w%-%._~]", function(c)
      return string.format("%%%02X", string.byte(c))
   end))
end

return M
