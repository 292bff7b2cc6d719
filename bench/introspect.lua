-- S4: token introspection (RFC 7662) of BENCH_TOKEN, a live access token,
-- authenticated like the token endpoint. Every answer must say active.
local lib = dofile("bench/lib.lua")

lib.expect_text = '"active":true'
wrk.method = "POST"
wrk.path = "/oauth2/introspect"
wrk.headers["Authorization"] = lib.env("BENCH_AUTH")
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = "token=" .. lib.env("BENCH_TOKEN")
lib.install()
