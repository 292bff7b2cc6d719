-- S5: the UserInfo endpoint (OpenID Connect Core §5.3) with BENCH_TOKEN, a
-- live access token granted with the openid scope, as a Bearer token
-- (RFC 6750 §2.1). Every answer must be a 200 naming the subject.
local lib = dofile("bench/lib.lua")

lib.expect_text = '"sub"'
wrk.method = "GET"
wrk.path = "/oauth2/userinfo"
wrk.headers["Authorization"] = "Bearer " .. lib.env("BENCH_TOKEN")
lib.install()
