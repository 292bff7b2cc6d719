-- S2: the authorization code flow with PKCE (RFC 6749 §4.1, RFC 7636) for a
-- browser that is already signed in. Each flow is two requests: GET
-- /oauth2/authorize with the session cookie, answered at once with a 302 to
-- the client carrying a code, then POST /oauth2/token redeeming that code
-- with the verifier (a public client: client_id, no secret).
--
-- wrk runs every connection of a thread in one Lua state, and does not say
-- which connection an answer came from, so the codes go through one queue per
-- thread: request() redeems the oldest code waiting, or starts a new flow
-- when none is; response() queues the code of each redirect. The challenge is
-- the S256 of a fixed verifier (computed by bench/run.sh): the server stores
-- it with each code and checks the verifier against it at redemption, which
-- is the work PKCE costs whatever the verifier.
local lib = dofile("bench/lib.lua")

local client_id = lib.env("BENCH_CLIENT_ID")
local redirect = lib.env("BENCH_REDIRECT_URI")
local verifier = lib.env("BENCH_VERIFIER")
local authorize_path = "/oauth2/authorize?response_type=code" ..
   "&client_id=" .. lib.urlencode(client_id) ..
   "&redirect_uri=" .. lib.urlencode(redirect) ..
   "&scope=" .. lib.urlencode(lib.env("BENCH_SCOPE")) ..
   "&state=bench-state&nonce=bench-nonce" ..
   "&code_challenge=" .. lib.urlencode(lib.env("BENCH_CHALLENGE")) ..
   "&code_challenge_method=S256"
local cookie = "lk_session=" .. lib.env("BENCH_SESSION")
local token_body = "grant_type=authorization_code" ..
   "&redirect_uri=" .. lib.urlencode(redirect) ..
   "&code_verifier=" .. lib.urlencode(verifier) ..
   "&client_id=" .. lib.urlencode(client_id) ..
   "&code="
-- The redirect must go back to the client, not to the login page.
local result_prefix = redirect .. "?"

local codes = lib.queue()
local authorize_request

lib.kinds = {
   {
      name = "authorize",
      status = 302,
      check = function(headers)
         local loc = headers["Location"] or headers["location"] or ""
         if loc:sub(1, #result_prefix) ~= result_prefix then
            return false
         end
         local code = ("&" .. loc:sub(#result_prefix + 1)):match("&code=([%w_%-]+)")
         if not code then
            return false
         end
         lib.push(codes, code)
         return true
      end,
   },
   {
      name = "token",
      status = 200,
      check = function(_, body)
         return body:find('"access_token"', 1, true) ~= nil
      end,
   },
}

function request()
   local code = lib.pop(codes)
   if code then
      return wrk.format("POST", "/oauth2/token",
         { ["Content-Type"] = "application/x-www-form-urlencoded" }, token_body .. code)
   end
   if not authorize_request then
      authorize_request = wrk.format("GET", authorize_path, { ["Cookie"] = cookie })
   end
   return authorize_request
end

lib.install()
