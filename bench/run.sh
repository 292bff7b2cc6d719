#!/bin/sh
# make bench: builds an optimised binary, starts it on a fresh SQLite database
# in a temporary directory, registers what the scenarios need, drives each
# scenario with wrk (bench/*.lua) on 127.0.0.1 and prints the table of
# docs/performance.md. The results are also saved as JSON in bench/results/.
#
# Settings (environment):
#   BENCH_DURATION     seconds measured per scenario (10)
#   BENCH_WARMUP       seconds of unmeasured load before each (2)
#   BENCH_CONNECTIONS  wrk connections (64)
#   BENCH_THREADS      wrk threads (1)
#   BENCH_WORKERS      server event loops (2)
#   BENCH_LOG_LEVEL    server log level (info: one access-log line per request)
#   BENCH_ONLY         space-separated scenario ids to run (all when empty)
#   BENCH_KEEP=1       keep the temporary directory (database, server logs)
#   BENCH_BIN          measure this binary instead of building one
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

DURATION=${BENCH_DURATION:-10}
WARMUP=${BENCH_WARMUP:-2}
CONNS=${BENCH_CONNECTIONS:-64}
THREADS=${BENCH_THREADS:-1}
# bench/refresh.lua shares the refresh tokens out between wrk's threads.
BENCH_THREADS=$THREADS
export BENCH_THREADS
WORKERS=${BENCH_WORKERS:-2}
LOG_LEVEL=${BENCH_LOG_LEVEL:-info}
ONLY=${BENCH_ONLY:-}
O=build-bench

for tool in wrk node openssl; do
	command -v "$tool" >/dev/null 2>&1 || { echo "bench: '$tool' is required" >&2; exit 1; }
done

# The same optimisation as the default build (-O2), in its own directory so
# that a `make O=build-asan` tree or command-line SAN=1 does not leak in.
# BENCH_BIN=path measures an existing binary instead.
if [ -n "${BENCH_BIN:-}" ]; then
	BIN=$(cd "$(dirname "$BENCH_BIN")" && pwd)/$(basename "$BENCH_BIN")
else
	echo "== building $O/latchkey"
	make -s -j"$(nproc)" O=$O SAN= $O/latchkey
	BIN=$ROOT/$O/latchkey
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/latchkey-bench.XXXXXX")
RES=$TMP/results
mkdir -p "$RES"
PID=

stop_server() {
	[ -n "$PID" ] || return 0
	kill "$PID" 2>/dev/null || true
	# Not our child (bench/report started it): wait by polling.
	i=0
	while kill -0 "$PID" 2>/dev/null && [ $i -lt 200 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	kill -9 "$PID" 2>/dev/null || true
	PID=
}

cleanup() {
	stop_server
	if [ "${BENCH_KEEP:-}" = 1 ]; then
		echo "bench: kept $TMP"
	else
		rm -rf "$TMP"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

DB=sqlite:$TMP/latchkey.db
KEYFILE=$TMP/latchkey.key
PORT=$(node bench/report free-port)
URL=http://127.0.0.1:$PORT
LOG=$TMP/server.log

lk() {
	"$BIN" --db "$DB" --master-key-file "$KEYFILE" "$@"
}

# Starts the server (extra environment in $1) and records its pid and ready time.
start_server() {
	# shellcheck disable=SC2086 # $1 is zero or more NAME=VALUE words
	out=$(env $1 node bench/report start "$LOG" "$PORT" "$BIN" --db "$DB" \
		--master-key-file "$KEYFILE" --log-level "$LOG_LEVEL" \
		serve --listen "127.0.0.1:$PORT" --workers "$WORKERS")
	PID=$(echo "$out" | node bench/report json-field pid)
	READY=$(echo "$out" | node bench/report json-field ready_ms)
}

# Clock ticks of the whole machine spent in processes (user, nice, system,
# steal) and in interrupts (irq, softirq: most of loopback TCP), and a
# process's own.
machine_busy() {
	awk '/^cpu / { print $2 + $3 + $4 + $9 }' /proc/stat
}
machine_irq() {
	awk '/^cpu / { print $7 + $8 }' /proc/stat
}
proc_ticks() {
	awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0
}
# CPU seconds used so far by this shell's finished children (wrk). `times`
# must run in this shell, not in a command substitution's subshell.
children_cpu() {
	times > "$TMP/times"
	awk 'NR == 2 {
		split($1, u, "m"); split($2, s, "m")
		sub(/s$/, "", u[2]); sub(/s$/, "", s[2])
		printf "%.3f\n", u[1] * 60 + u[2] + s[1] * 60 + s[2] }' "$TMP/times"
}
rss_kb() {
	awk -v k="$1:" '$1 == k { print $2 }' "/proc/$PID/status" 2>/dev/null || true
}

selected() {
	[ -z "$ONLY" ] && return 0
	for s in $ONLY; do [ "$s" = "$1" ] && return 0; done
	return 1
}

# Waits, up to 10 s, until the server has finished what a run of wrk left in
# flight (wrk stops without waiting for its answers), so that a measured run
# does not pay for the warm-up's requests: a few microseconds each for most
# scenarios, but tens of milliseconds for S7's. Quiet = at most one clock
# tick of CPU in 0.1 s.
settle() {
	settle_n=0
	settle_a=$(proc_ticks "$PID")
	while [ $settle_n -lt 100 ]; do
		sleep 0.1
		settle_b=$(proc_ticks "$PID")
		[ $((settle_b - settle_a)) -le 1 ] && return 0
		settle_a=$settle_b
		settle_n=$((settle_n + 1))
	done
}

N=0
# scenario ID TITLE SCRIPT [KEY=VALUE...]: the KEY=VALUE pairs go to the
# scenario's meta file (target_rps, floor, ...). The script's settings come
# from exported BENCH_* variables. PREPARE, when set, names a command run
# before each run of wrk, unmeasured (S3's fresh refresh tokens); if it
# fails, the scenario is reported as failed.
scenario() {
	id=$1 title=$2 script=$3
	shift 3
	N=$((N + 1))
	d=$RES/$(printf '%02d' $N)-$id
	mkdir -p "$d"
	{ echo "id=$id"; echo "title=$title"; for kv in "$@"; do echo "$kv"; done; } > "$d/meta"
	selected "$id" || { echo "status=skipped" >> "$d/meta"; echo "note=not selected" >> "$d/meta"; return 0; }
	echo "== $title"
	if [ -n "${PREPARE:-}" ] && ! $PREPARE; then
		{ echo "status=failed"; echo "note=preparing the run ($PREPARE) failed"; } >> "$d/meta"
		return 0
	fi
	# Peak RSS of this scenario alone: reset the high-water mark first.
	echo 5 > "/proc/$PID/clear_refs" 2>/dev/null || true
	wrk -t"$THREADS" -c"$CONNS" -d"${WARMUP}s" -s "bench/$script" "$URL" > "$d/warmup.out" 2>&1 || true
	settle
	if [ -n "${PREPARE:-}" ] && ! $PREPARE; then
		{ echo "status=failed"; echo "note=preparing the run ($PREPARE) failed"; } >> "$d/meta"
		return 0
	fi
	children_cpu > "$TMP/w0"
	[ -n "${COUNT_SQL:-}" ] && stored0=$(count_rows "$COUNT_SQL")
	t0=$(date +%s.%N); s0=$(proc_ticks "$PID"); b0=$(machine_busy); i0=$(machine_irq)
	wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --timeout 5s -s "bench/$script" "$URL" \
		> "$d/wrk.out" 2>&1 || true
	t1=$(date +%s.%N); s1=$(proc_ticks "$PID"); b1=$(machine_busy); i1=$(machine_irq)
	children_cpu > "$TMP/w1"
	w0=$(cat "$TMP/w0") w1=$(cat "$TMP/w1")
	if ! kill -0 "$PID" 2>/dev/null; then
		{ echo "status=failed"; echo "note=the server exited during the run (see its log)"; } \
			>> "$d/meta"
		echo "bench: the server exited during $title; its log:" >&2
		tail -20 "$LOG" >&2
		exit 1
	fi
	{
		echo "status=ran"
		echo "peak_rss_kb=$(rss_kb VmHWM)"
		echo "rss_after_kb=$(rss_kb VmRSS)"
		echo "server_cpu_ticks=$((s1 - s0))"
		echo "busy_ticks=$((b1 - b0))"
		echo "irq_ticks=$((i1 - i0))"
		echo "clk_tck=$(getconf CLK_TCK)"
		echo "wrk_cpu_s=$(echo "$w1 $w0" | awk '{ printf "%.3f", $1 - $2 }')"
		echo "wall_s=$(echo "$t1 $t0" | awk '{ printf "%.3f", $1 - $2 }')"
	} >> "$d/meta"
	if [ -n "${COUNT_SQL:-}" ]; then
		# Give the requests wrk abandoned at the end time to finish.
		sleep 0.5
		echo "stored_rows=$(($(count_rows "$COUNT_SQL") - stored0))" >> "$d/meta"
	fi
	grep -E 'Requests/sec|Latency ' "$d/wrk.out" | sed 's/^/   /' || true
}

# Rows counted by a query on the server's database (read beside it: WAL).
count_rows() {
	sqlite3 "file:$TMP/latchkey.db?mode=ro" "$1"
}

# not_landed ID TITLE REASON
not_landed() {
	N=$((N + 1))
	d=$RES/$(printf '%02d' $N)-$1
	mkdir -p "$d"
	printf 'id=%s\ntitle=%s\nstatus=not_landed\nnote=%s\n' "$1" "$2" "$3" > "$d/meta"
}

# failed ID TITLE REASON: the flow exists but the probe did not succeed.
failed() {
	N=$((N + 1))
	d=$RES/$(printf '%02d' $N)-$1
	mkdir -p "$d"
	printf 'id=%s\ntitle=%s\nstatus=failed\nnote=%s\n' "$1" "$2" "$(echo "$3" | tr '\n' ' ')" \
		> "$d/meta"
	echo "bench: $2: $3" >&2
}

# probe METHOD PATH [AUTH [BODY]]: one request. Sets P_STATUS and P_BODY (the
# start of the body, for messages); the whole body is in $TMP/probe.body.
probe() {
	node bench/report probe "$1" "$URL$2" "${3:-}" ${4+"$4"} > "$TMP/probe.json"
	P_STATUS=$(node bench/report json-field status < "$TMP/probe.json")
	node bench/report json-field body < "$TMP/probe.json" > "$TMP/probe.body"
	P_BODY=$(head -c 300 "$TMP/probe.body")
}

# A route that does not exist yet answers with the server's JSON 404.
is_missing() {
	[ "$P_STATUS" = 404 ] && echo "$P_BODY" | grep -q '"not_found"'
}

# What else is running: the measurements share the cores with it.
b0=$(machine_busy); i0=$(machine_irq); sleep 1; b1=$(machine_busy); i1=$(machine_irq)
BACKGROUND=$(echo "$b0 $b1 $i0 $i1 $(getconf CLK_TCK)" |
	awk '{ printf "%.2f", ($2 - $1 + $4 - $3) / $5 }')
echo "== background load before the run: $BACKGROUND cores busy"

# The signing floor (issue 8): openssl speed on one core, times the cores.
# With -multi the cores sign at once, which shows what they really give
# together (shared caches, a busy host); reported beside it.
sign_rate() {
	# shellcheck disable=SC2086 # $1 is the options and the algorithm
	openssl speed -seconds 3 $1 2>/dev/null | awk -v pat="$2" '$0 ~ pat { print $(NF - 1) }'
}
NCPU=$(nproc)
echo "== signing floor (openssl speed: one core, then -multi $NCPU)"
ES_SIGN=$(sign_rate ecdsap256 'ecdsa \\(nistp256\\)')
RS_SIGN=$(sign_rate rsa2048 '^rsa 2048 bits')
ES_MULTI=$(sign_rate "-multi $NCPU ecdsap256" 'ecdsa \\(nistp256\\)')
RS_MULTI=$(sign_rate "-multi $NCPU rsa2048" '^rsa 2048 bits')
echo "   ES256 $ES_SIGN sign/s per core ($ES_MULTI on $NCPU together)"
echo "   RS256 $RS_SIGN sign/s per core ($RS_MULTI on $NCPU together)"

{
	echo "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "cores=$NCPU"
	echo "cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
	echo "kernel=$(uname -r)"
	echo "openssl=$(openssl version)"
	echo "commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- src 2>/dev/null || echo '+changes')"
	echo "sign_es256_per_core=$ES_SIGN"
	echo "sign_rs256_per_core=$RS_SIGN"
	echo "sign_es256_multi=$ES_MULTI"
	echo "sign_rs256_multi=$RS_MULTI"
	echo "background_cores=$BACKGROUND"
	echo "wrk_threads=$THREADS"
	echo "wrk_connections=$CONNS"
	echo "warmup_s=$WARMUP"
	echo "duration_s=$DURATION"
	echo "workers=$WORKERS"
	echo "log_level=$LOG_LEVEL"
	echo "log_to=a file in the temporary directory"
} > "$RES/env"

echo "== preparing the database in $TMP"
lk --log-level warn key list > /dev/null
lk --log-level warn app add --name bench-jwt --grant client_credentials --scope api --json \
	> "$TMP/app-jwt.json"
if lk --log-level warn app add --name bench-opaque --grant client_credentials --scope api \
	--token-format opaque --json > "$TMP/app-opaque.json" 2> "$TMP/app-opaque.err"; then
	OPAQUE_AUTH=$(node bench/report app-auth "$TMP/app-opaque.json")
else
	OPAQUE_AUTH=
fi
JWT_AUTH=$(node bench/report app-auth "$TMP/app-jwt.json")

# The user's flows (S2, S3, S5, S7): a first-party public web application
# (no consent page), a confidential application allowed the password grant,
# and a user. The password has only characters that need no form encoding.
export BENCH_PASSWORD=bench-password-0123456789
WEB_REDIRECT=https://bench.example/cb
WEB_SCOPE="openid api offline_access"
# ID tokens in ES256: an RS256 signature alone would cost more than the rest of a flow.
if lk --log-level warn app add --name bench-web --grant authorization_code --client-type public \
	--first-party --redirect-uri "$WEB_REDIRECT" --scope "$WEB_SCOPE" --id-token-alg ES256 --json \
	> "$TMP/app-web.json" 2> "$TMP/setup.err"; then
	WEB_CLIENT=$(node bench/report json-field client_id < "$TMP/app-web.json")
else
	WEB_CLIENT=
fi
if lk --log-level warn app add --name bench-pw --grant password --scope "api offline_access" \
	--json > "$TMP/app-pw.json" 2>> "$TMP/setup.err"; then
	PW_AUTH=$(node bench/report app-auth "$TMP/app-pw.json")
else
	PW_AUTH=
fi
if echo "$BENCH_PASSWORD" | lk --log-level warn user add bench --password-stdin \
	> /dev/null 2>> "$TMP/setup.err"; then
	BENCH_USER=bench
else
	BENCH_USER=
fi
SETUP_ERR=$(head -c 300 "$TMP/setup.err" | tr '\n' ' ')

# The first start creates the administrator (an Argon2id hash): do it once,
# unmeasured, so that every measured start is on an existing database.
start_server ""
stop_server

start_server ""
echo "ready_ms=$READY" >> "$RES/env"
sleep 0.5
echo "idle_rss_kb=$(rss_kb VmRSS)" >> "$RES/env"
echo "   ready in $READY ms, idle RSS $(rss_kb VmRSS) kB"

export BENCH_PATH BENCH_STATUS BENCH_AUTH BENCH_TOKEN
BENCH_PATH=/bench/no-such-path BENCH_STATUS=404
scenario floor "HTTP floor (GET unknown path, JSON 404)" get.lua
BENCH_STATUS=200
BENCH_PATH=/oauth2/jwks
scenario s6-jwks "S6 JWKS" get.lua target_rps=60000 vs_http_floor=1
BENCH_PATH=/.well-known/openid-configuration
scenario s6-discovery "S6 discovery" get.lua target_rps=60000 vs_http_floor=1

# S1: client credentials, JWT access tokens (ES256 by default).
BENCH_AUTH=$JWT_AUTH
probe POST /oauth2/token "$JWT_AUTH" "grant_type=client_credentials&scope=api"
S1_STATUS=$P_STATUS
if is_missing; then
	not_landed s1-es256 "S1 client_credentials ES256" "POST /oauth2/token answers 404"
elif [ "$P_STATUS" != 200 ]; then
	failed s1-es256 "S1 client_credentials ES256" "probe: HTTP $P_STATUS $P_BODY"
else
	JWT_TOKEN=$(node bench/report json-field access_token < "$TMP/probe.body")
	scenario s1-es256 "S1 client_credentials ES256" token.lua target_rps=28000 \
		floor=sign_es256 vs_http_floor=1
fi

# S1o: the same with opaque tokens, each stored before it is returned.
if [ -z "$OPAQUE_AUTH" ]; then
	not_landed s1o "S1o client_credentials opaque" "app add --token-format opaque failed"
elif [ "$S1_STATUS" != 200 ]; then
	not_landed s1o "S1o client_credentials opaque" "no token endpoint"
else
	BENCH_AUTH=$OPAQUE_AUTH
	probe POST /oauth2/token "$OPAQUE_AUTH" "grant_type=client_credentials&scope=api"
	if [ "$P_STATUS" != 200 ]; then
		failed s1o "S1o client_credentials opaque" "probe: HTTP $P_STATUS $P_BODY"
	else
		OPAQUE_TOKEN=$(node bench/report json-field access_token < "$TMP/probe.body")
		# Every token answered must be in the database: count them.
		if command -v sqlite3 >/dev/null 2>&1; then
			COUNT_SQL="SELECT count(*) FROM access_tokens"
		fi
		scenario s1o "S1o client_credentials opaque" token.lua target_rps=20000 vs_http_floor=1
		COUNT_SQL=
	fi
fi

# S4: introspection of a live token (KIND TOKEN), by the JWT application.
introspection() {
	title="S4 introspection ($1)"
	if [ -z "$2" ]; then
		not_landed "s4-$1" "$title" "no $1 token to introspect"
		return 0
	fi
	BENCH_AUTH=$JWT_AUTH BENCH_TOKEN=$2
	probe POST /oauth2/introspect "$JWT_AUTH" "token=$2"
	if is_missing; then
		not_landed "s4-$1" "$title" "POST /oauth2/introspect answers 404"
	elif [ "$P_STATUS" != 200 ] || ! grep -q '"active":true' "$TMP/probe.body"; then
		failed "s4-$1" "$title" "probe: HTTP $P_STATUS $P_BODY"
	else
		scenario "s4-$1" "$title" introspect.lua target_rps=40000 vs_http_floor=1
	fi
}
introspection jwt "${JWT_TOKEN:-}"
introspection opaque "${OPAQUE_TOKEN:-}"

# S2: authorization code + PKCE for a browser already signed in. The sign-in
# itself goes through the real pages once (authorize, login form, session
# cookie); the scenario then runs flows with that session.
export BENCH_CLIENT_ID BENCH_REDIRECT_URI BENCH_SCOPE BENCH_VERIFIER BENCH_CHALLENGE BENCH_SESSION
BENCH_CLIENT_ID=$WEB_CLIENT BENCH_REDIRECT_URI=$WEB_REDIRECT BENCH_SCOPE=$WEB_SCOPE
BENCH_VERIFIER=bench-pkce-verifier-0123456789-abcdefghijklmnopqrstuvwxyz
BENCH_CHALLENGE=$(node bench/report challenge "$BENCH_VERIFIER")
BENCH_SESSION=

# probe_flow: one S2 flow with the session, as probe does (P_STATUS, P_BODY:
# the token response, or the authorization's answer if it gave no code).
probe_flow() {
	node bench/report code-flow "$URL" "$WEB_CLIENT" "$WEB_REDIRECT" "$WEB_SCOPE" "$BENCH_SESSION" \
		"$BENCH_VERIFIER" > "$TMP/probe.json"
	P_STATUS=$(node bench/report json-field status < "$TMP/probe.json")
	node bench/report json-field body < "$TMP/probe.json" > "$TMP/probe.body"
	P_BODY=$(head -c 300 "$TMP/probe.body")
}

title="S2 authorization code + PKCE"
probe GET "/oauth2/authorize?response_type=code&client_id=x"
if is_missing; then
	AUTHORIZE_MISSING=1
	not_landed s2 "$title" "GET /oauth2/authorize answers 404"
else
	AUTHORIZE_MISSING=
	if [ -z "$WEB_CLIENT" ] || [ -z "$BENCH_USER" ]; then
		failed s2 "$title" "app add or user add failed: $SETUP_ERR"
	elif ! node bench/report signin "$URL" "$WEB_CLIENT" "$WEB_REDIRECT" "$WEB_SCOPE" \
		"$BENCH_USER" "$BENCH_VERIFIER" > "$TMP/signin.json" 2> "$TMP/signin.err"; then
		failed s2 "$title" "$(cat "$TMP/signin.err")"
	else
		BENCH_SESSION=$(node bench/report json-field session < "$TMP/signin.json")
		probe_flow
		if [ "$P_STATUS" != 200 ] || ! grep -q '"access_token"' "$TMP/probe.body"; then
			failed s2 "$title" "probe: HTTP $P_STATUS $P_BODY"
			BENCH_SESSION=
		else
			scenario s2 "$title" code_flow.lua target_rps=3000 unit=flows unit_kind=token
		fi
	fi
fi

# S3: refresh with rotation, by S2's public application (the kind of client
# rotation is for). A refresh token is spent by its use, so each run of wrk
# gets fresh ones, each from its own code flow (password grants would leave
# Argon2id's memory in the peak RSS): one per connection and two spare per
# thread (bench/refresh.lua says why). Their scope has no openid, so that a
# refresh issues no ID token (an RS256 signature by default, S2's cost).
BENCH_TOKEN_FILE=$TMP/refresh.tokens
export BENCH_TOKEN_FILE
S3_SCOPE="api offline_access"
# refresh_tokens [N [FILE]]
refresh_tokens() {
	node bench/report refresh-tokens "$URL" "$WEB_CLIENT" "$WEB_REDIRECT" "$S3_SCOPE" \
		"$BENCH_SESSION" "$BENCH_VERIFIER" "${1:-$((CONNS + 2 * THREADS))}" \
		"${2:-$BENCH_TOKEN_FILE}" || return 1
}
title="S3 refresh with rotation"
probe POST /oauth2/token "$JWT_AUTH" "grant_type=refresh_token&refresh_token=x"
if [ "$S1_STATUS" != 200 ] || echo "$P_BODY" | grep -q unsupported_grant_type; then
	not_landed s3 "$title" "grant_type=refresh_token is not supported"
elif [ -z "$BENCH_SESSION" ]; then
	if [ -n "$AUTHORIZE_MISSING" ]; then
		not_landed s3 "$title" "no sign-in to get refresh tokens from"
	else
		failed s3 "$title" "no refresh tokens: the sign-in of S2 failed"
	fi
elif ! refresh_tokens 1 "$TMP/probe.tokens" 2> "$TMP/probe.err"; then
	failed s3 "$title" "probe: $(cat "$TMP/probe.err")"
else
	probe POST /oauth2/token "" \
		"grant_type=refresh_token&refresh_token=$(cat "$TMP/probe.tokens")&client_id=$WEB_CLIENT"
	if [ "$P_STATUS" != 200 ] || ! grep -q '"refresh_token"' "$TMP/probe.body"; then
		failed s3 "$title" "probe: HTTP $P_STATUS $P_BODY"
	else
		PREPARE=refresh_tokens
		scenario s3 "$title" refresh.lua target_rps=5000
		PREPARE=
	fi
fi

# S5: userinfo with an access token of an openid grant (a fresh S2 flow).
title="S5 userinfo"
probe GET /oauth2/userinfo
if is_missing; then
	not_landed s5 "$title" "GET /oauth2/userinfo answers 404"
elif [ -z "$BENCH_SESSION" ]; then
	if [ -n "$AUTHORIZE_MISSING" ]; then
		not_landed s5 "$title" "no sign-in to get an openid access token from"
	else
		failed s5 "$title" "no openid access token: the sign-in of S2 failed"
	fi
else
	probe_flow
	if [ "$P_STATUS" != 200 ]; then
		failed s5 "$title" "getting an openid access token: HTTP $P_STATUS $P_BODY"
	else
		BENCH_TOKEN=$(node bench/report json-field access_token < "$TMP/probe.body")
		probe GET /oauth2/userinfo "Bearer $BENCH_TOKEN"
		if [ "$P_STATUS" != 200 ] || ! grep -q '"sub"' "$TMP/probe.body"; then
			failed s5 "$title" "probe: HTTP $P_STATUS $P_BODY"
		else
			scenario s5 "$title" userinfo.lua vs_http_floor=1
		fi
	fi
fi

# S7: password login, the password grant with the right password: one
# Argon2id verification each. Its floor is the cores divided by the time of
# one verification, measured first on the idle server (bench/report
# argon2-time: the median of 20 password grants one after the other).
title="S7 password login"
export BENCH_BODY="grant_type=password&username=$BENCH_USER&password=$BENCH_PASSWORD&scope=api"
probe POST /oauth2/token "$PW_AUTH" "$BENCH_BODY"
if [ "$S1_STATUS" != 200 ] || echo "$P_BODY" | grep -q unsupported_grant_type; then
	not_landed s7 "$title" "grant_type=password is not supported"
elif [ -z "$PW_AUTH" ] || [ -z "$BENCH_USER" ]; then
	failed s7 "$title" "app add or user add failed: $SETUP_ERR"
elif [ "$P_STATUS" != 200 ] || ! grep -q '"access_token"' "$TMP/probe.body"; then
	failed s7 "$title" "probe: HTTP $P_STATUS $P_BODY"
else
	ARGON2_MS=
	if selected s7; then
		# The server's CPU time over the same grants (21 with the unmeasured
		# first) tells whether other load stretched the wall-clock median.
		settle
		c0=$(proc_ticks "$PID")
		ARGON2_MS=$(node bench/report argon2-time "$URL" "$PW_AUTH" "$BENCH_USER" 20 |
			node bench/report json-field median_ms)
		c1=$(proc_ticks "$PID")
		ARGON2_CPU_MS=$(echo "$c0 $c1 $(getconf CLK_TCK)" |
			awk '{ printf "%.1f", ($2 - $1) * 1000 / $3 / 21 }')
		echo "== Argon2id: $ARGON2_MS ms per password grant (median of 20; server CPU $ARGON2_CPU_MS ms each)"
	fi
	if [ -n "$ARGON2_MS" ]; then
		ARGON2_FLOOR=$(echo "$NCPU $ARGON2_MS" | awk '{ printf "%.1f", $1 * 1000 / $2 }')
		BENCH_AUTH=$PW_AUTH
		scenario s7 "$title" token.lua floor=argon2id argon2_ms="$ARGON2_MS" \
			argon2_cpu_ms="$ARGON2_CPU_MS" floor_rps="$ARGON2_FLOOR" target_floor_fraction=0.85
	else
		# Not selected: scenario() records it as skipped.
		scenario s7 "$title" token.lua
	fi
fi
unset BENCH_BODY

# S1 RS256: the access token algorithm is the server's, so restart with it.
if [ "$S1_STATUS" = 200 ]; then
	stop_server
	start_server "LATCHKEY_TOKENS_ACCESS_ALG=RS256"
	echo "ready_ms_rs256=$READY" >> "$RES/env"
	BENCH_AUTH=$JWT_AUTH
	probe POST /oauth2/token "$JWT_AUTH" "grant_type=client_credentials&scope=api"
	if [ "$P_STATUS" != 200 ]; then
		failed s1-rs256 "S1 client_credentials RS256" "probe: HTTP $P_STATUS $P_BODY"
	elif ! node -e '
		const t = JSON.parse(require("fs").readFileSync(0, "utf8")).access_token;
		const h = JSON.parse(Buffer.from(t.split(".")[0], "base64url"));
		process.exit(h.alg === "RS256" ? 0 : 1)' < "$TMP/probe.body"; then
		failed s1-rs256 "S1 client_credentials RS256" "LATCHKEY_TOKENS_ACCESS_ALG=RS256 did not give RS256 tokens"
	else
		scenario s1-rs256 "S1 client_credentials RS256" token.lua floor=sign_rs256 \
			target_floor_fraction=0.9 vs_http_floor=1
	fi
else
	not_landed s1-rs256 "S1 client_credentials RS256" "no token endpoint"
fi
stop_server

mkdir -p bench/results
OUT=bench/results/$(date -u +%Y%m%dT%H%M%SZ).json
echo
node bench/report summarize "$RES" "$OUT"
echo
echo "results saved in $OUT"
