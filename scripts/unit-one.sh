#!/bin/sh
# Builds and runs one unit test against only the source directories it names,
# so a half-finished file elsewhere in src/ does not get in the way:
#   sh scripts/unit-one.sh tests/unit/test_http_parse.c src/core src/http
# Set CC=clang or SAN=1 (AddressSanitizer + UBSan) as with make.
set -eu
test_src=$1
shift
pkgs="libmicrohttpd openssl cjose jansson sqlite3 libpq libargon2 inih cmocka"
san=""
[ "${SAN:-}" = 1 ] && san="-O1 -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
srcs=""
for d in "$@"; do
	srcs="$srcs $(find "$d" -name '*.c' ! -path 'src/app/main.c' | sort)"
done
out=build-one/$(basename "$test_src" .c)-${CC:-cc}${SAN:+-san}
mkdir -p build-one
# shellcheck disable=SC2086
${CC:-cc} -std=c11 -D_GNU_SOURCE -Isrc -pthread -g -Wall -Wextra -Werror -Wshadow \
	-Wformat=2 -Wvla -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter \
	$san $(pkg-config --cflags $pkgs) -o "$out" "$test_src" $srcs \
	$(pkg-config --libs $pkgs) -lm
"$out"
