-- S3: the refresh token grant with rotation (RFC 6749 §6; OAuth 2.0 Security
-- BCP §4.14): every answer carries a new refresh token and the one used is
-- spent, so a token can be sent only once. The client is S2's public web
-- application (client_id in the body, no secret), the kind of client for
-- which rotation is required. BENCH_TOKEN_FILE holds fresh refresh tokens,
-- one a line, each of its own grant (bench/run.sh makes them with code flows
-- before each run of wrk).
--
-- Each thread takes every BENCH_THREADS-th line of the file into a queue of
-- its own: request() sends the oldest token waiting, response() queues the
-- one that replaced it. A token whose answer is lost (wrk stops with requests
-- in flight) is gone, hence a fresh file for every run. The file holds a few
-- more tokens than connections: wrk calls request() once before the run, to
-- look at the request, and that token is never sent.
local lib = dofile("bench/lib.lua")

local tokens = lib.queue()
local headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }
local body = "grant_type=refresh_token&client_id=" .. lib.urlencode(lib.env("BENCH_CLIENT_ID")) ..
   "&refresh_token="

function init(args)
   local nthreads = tonumber(lib.env("BENCH_THREADS"))
   local f = assert(io.open(lib.env("BENCH_TOKEN_FILE"), "r"))
   local n = 0
   for line in f:lines() do
      if line ~= "" then
         if n % nthreads == thread_index then
            lib.push(tokens, line)
         end
         n = n + 1
      end
   end
   f:close()
end

lib.kinds = {
   {
      name = "refresh",
      status = 200,
      check = function(_, answer)
         if not answer:find('"access_token"', 1, true) then
            return false
         end
         local rt = answer:match('"refresh_token"%s*:%s*"([^"]+)"')
         if not rt then
            return false
         end
         lib.push(tokens, rt)
         return true
      end,
   },
}

function request()
   -- With no token left, one that cannot exist: an error, counted.
   local rt = lib.pop(tokens) or "none-left"
   return wrk.format("POST", "/oauth2/token", headers, body .. lib.urlencode(rt))
end

lib.install()
