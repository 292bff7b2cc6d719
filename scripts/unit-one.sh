#!/bin/sh
# Builds and runs one unit test against only the source directories it names,
# so a half-finished file elsewhere in src/ does not get in the way:
#   sh scripts/unit-one.sh tests/unit/test_http_parse.c src/core src/http
# Set CC=clang or SAN=1 (AddressSanitizer + UBSan) as with make.
#
# As with make, the shared test helpers (tests/unit/*.c whose name does not
# start with test_, such as the store fixture) are built too. They go into an
# archive, so the linker takes only those the test uses: a helper that calls
# into a directory not named here does not break the tests that leave it alone.
set -eu
test_src=$1
shift
pkgs="libmicrohttpd openssl cjose jansson sqlite3 libpq libargon2 inih libcurl cmocka"
san=""
[ "${SAN:-}" = 1 ] && san="-O1 -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
cflags="-std=c11 -D_GNU_SOURCE -Isrc -pthread -g -Wall -Wextra -Werror -Wshadow \
	-Wformat=2 -Wvla -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter"
srcs=""
for d in "$@"; do
	srcs="$srcs $(find "$d" -name '*.c' ! -path 'src/app/main.c' | sort)"
done
out=build-one/$(basename "$test_src" .c)-${CC:-cc}${SAN:+-san}
mkdir -p build-one

helpers_dir=$out.helpers
helpers_lib=$helpers_dir/libhelpers.a
rm -rf "$helpers_dir"
mkdir -p "$helpers_dir"
helper_objs=""
for h in $(find tests/unit -maxdepth 1 -name '*.c' ! -name 'test_*' | sort); do
	obj=$helpers_dir/$(basename "$h" .c).o
	# shellcheck disable=SC2046,SC2086
	${CC:-cc} $cflags $san $(pkg-config --cflags $pkgs) -c -o "$obj" "$h"
	helper_objs="$helper_objs $obj"
done
helpers=""
if [ -n "$helper_objs" ]; then
	# shellcheck disable=SC2046,SC2086
	ar rcs "$helpers_lib" $helper_objs
	helpers=$helpers_lib
fi

# shellcheck disable=SC2046,SC2086
${CC:-cc} $cflags $san $(pkg-config --cflags $pkgs) -o "$out" "$test_src" $helpers $srcs \
	$(pkg-config --libs $pkgs) -lm
"$out"
