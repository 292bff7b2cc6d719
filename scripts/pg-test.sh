#!/bin/sh
# A throwaway PostgreSQL cluster for the tests, from Debian's postgresql
# package (scripts/deps.sh installs it):
#   eval "$(sh scripts/pg-test.sh)"    starts one, prints what to export
#   sh scripts/pg-test.sh stop         stops and removes the one LATCHKEY_PG_DIR names
#
# The cluster lives in a new temporary directory: initdb runs as the postgres
# user when started by root (initdb refuses root), and the server listens on a
# unix socket in that directory only, never on TCP, with trust authentication,
# so nothing outside this machine's users can reach it. It holds one database,
# latchkey_test, which the store tests wipe freely. Start prints two lines:
#   export LATCHKEY_TEST_DB_URL=postgresql:///latchkey_test?host=DIR&user=postgres
#   export LATCHKEY_PG_DIR=DIR
# Messages go to stderr, so that eval sees only the exports.
set -eu

# The newest server installed: /usr/lib/postgresql/<major>/bin.
pg_bin() {
	bin=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin 2>/dev/null |
		sort -V | tail -n 1)
	if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
		echo "pg-test: no PostgreSQL server found (apt-get install postgresql)" >&2
		exit 1
	fi
	echo "$bin"
}

# Runs a command as the owner of the cluster: postgres when we are root.
as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

stop() {
	dir=${LATCHKEY_PG_DIR:-}
	# Only a directory this script made: it removes what it is given.
	case "$dir" in
	/tmp/latchkey-pg.*) ;;
	*)
		echo "pg-test: LATCHKEY_PG_DIR does not name a cluster of this script" >&2
		exit 1
		;;
	esac
	if [ -f "$dir/data/postmaster.pid" ]; then
		as_owner "$(pg_bin)/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null ||
			echo "pg-test: the server in $dir did not stop cleanly" >&2
	fi
	rm -rf "$dir"
}

start() {
	bin=$(pg_bin)
	dir=$(mktemp -d /tmp/latchkey-pg.XXXXXX)
	[ "$(id -u)" -eq 0 ] && chown postgres "$dir"
	# The same rules as a production database: UTF-8, and lower() and
	# ordering that know more than ASCII.
	if ! as_owner "$bin/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 \
		--locale=C.UTF-8 >"$dir/initdb.log" 2>&1; then
		cat "$dir/initdb.log" >&2
		rm -rf "$dir"
		exit 1
	fi
	# listen_addresses='' turns TCP off; the socket is in $dir only. The
	# notices of the tests' own DROP SCHEMA ... CASCADE are not worth reading.
	if ! as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
		-o "-k $dir -c listen_addresses='' -c client_min_messages=warning" \
		start >/dev/null; then
		cat "$dir/server.log" >&2
		LATCHKEY_PG_DIR=$dir stop
		exit 1
	fi
	if ! as_owner "$bin/createdb" -h "$dir" -U postgres latchkey_test; then
		LATCHKEY_PG_DIR=$dir stop
		exit 1
	fi
	echo "export LATCHKEY_TEST_DB_URL='postgresql:///latchkey_test?host=$dir&user=postgres'"
	echo "export LATCHKEY_PG_DIR='$dir'"
}

case "${1:-start}" in
start) start ;;
stop) stop ;;
*)
	echo "usage: $0 [start|stop]" >&2
	exit 2
	;;
esac
