-- S1 and S1o: the client credentials grant (RFC 6749 §4.4) with
-- client_secret_basic (§2.3.1); S7: the resource owner password grant
-- (§4.3), whose body bench/run.sh gives in BENCH_BODY. BENCH_AUTH is the
-- whole Authorization header value; every answer must be a 200 carrying an
-- access token.
local lib = dofile("bench/lib.lua")

lib.expect_text = '"access_token"'
wrk.method = "POST"
wrk.path = "/oauth2/token"
wrk.headers["Authorization"] = lib.env("BENCH_AUTH")
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = os.getenv("BENCH_BODY") or "grant_type=client_credentials&scope=api"
lib.install()
