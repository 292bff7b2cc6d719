#!/bin/sh
# Installs what building, running and testing latchkey needs on Debian 12:
# the -dev packages of the libraries it links, the test tools (PostgreSQL for
# the store tests on that backend, see scripts/pg-test.sh), Node.js for the
# black-box tests, Chromium for the browser test, and the npm test packages from package-lock.json.
# Only missing packages are installed; apt-get runs through sudo when not root.
set -eu

DEBS="build-essential pkg-config clang libclang-rt-14-dev
libmicrohttpd-dev libssl-dev libcjose-dev libjansson-dev libsqlite3-dev
libpq-dev libargon2-dev libinih-dev libcmocka-dev libcurl4-openssl-dev sqlite3 postgresql wrk chromium valgrind"
command -v node >/dev/null 2>&1 || DEBS="$DEBS nodejs"
command -v npm >/dev/null 2>&1 || DEBS="$DEBS npm"
[ -n "${LATCHKEY_EXTRA_DEBS:-}" ] && DEBS="$DEBS $LATCHKEY_EXTRA_DEBS"

missing=""
for p in $DEBS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done

if [ -n "$missing" ]; then
	SUDO=""
	[ "$(id -u)" -ne 0 ] && SUDO="sudo"
	echo "deps: installing$missing"
	$SUDO apt-get update -q
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing
fi

# The npm packages of the black-box tests, exactly as locked.
cd "$(dirname "$0")/.."
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
	npm ci --no-audit --no-fund --loglevel=error
fi
