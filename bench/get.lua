-- S6 (JWKS, discovery) and the HTTP floor: a GET of BENCH_PATH answered with
-- BENCH_STATUS (200 unless set; the floor expects the JSON 404 of an unknown
-- path).
local lib = dofile("bench/lib.lua")

lib.expect_status = tonumber(os.getenv("BENCH_STATUS") or "200")
lib.expect_text = os.getenv("BENCH_TEXT")
wrk.method = "GET"
wrk.path = lib.env("BENCH_PATH")
lib.install()
