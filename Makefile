# latchkey — build, run, test.
#
#   make            build ./latchkey
#   make deps       install missing Debian packages and the npm test packages
#   make run        deps + build + serve on sqlite:latchkey.db at 127.0.0.1:8080
#   make test       unit tests, fuzz corpus replay, black-box and browser tests
#   make asan       the same tests under AddressSanitizer + UBSan
#   make test-pg    the store unit tests against a throwaway PostgreSQL cluster
#   make e2e-pg     the black-box tests against a throwaway PostgreSQL cluster
#   make valgrind   the unit tests under valgrind memcheck (no error, no leak)
#   make fuzz       libFuzzer targets (clang), FUZZ_SECONDS each
#   make format     clang-format every C file
#
# Sources are found by wildcard: a new .c file under src/ is part of the
# library; tests/unit/test_*.c is a unit test program; tests/fuzz/fuzz_*.c is a
# fuzz target.

CC ?= cc
PKGS := libmicrohttpd openssl cjose jansson sqlite3 libargon2 inih
# Loaded when first needed (src/store/pq_lib.h, src/http/curl_lib.h): the
# server is built with their headers but not linked with them; the tests
# link them for their fixtures.
LAZY_PKGS := libpq libcurl
O ?= build
SAN ?=

WARN := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wvla -Wstrict-prototypes \
	-Wmissing-prototypes -Wno-unused-parameter
BASE_CFLAGS := -std=c11 -D_GNU_SOURCE -Isrc -pthread -g -MMD -MP
ifeq ($(SAN),1)
  OPT_CFLAGS := -O1 -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
  SAN_LDFLAGS := -fsanitize=address,undefined
else
  OPT_CFLAGS ?= -O2 -fstack-protector-strong -D_FORTIFY_SOURCE=2
  SAN_LDFLAGS :=
endif

PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) $(LAZY_PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
LAZY_LIBS = $(shell pkg-config --libs $(LAZY_PKGS) 2>/dev/null)
CMOCKA_LIBS = $(shell pkg-config --libs cmocka 2>/dev/null)

ALL_CFLAGS = $(BASE_CFLAGS) $(WARN) $(OPT_CFLAGS) $(PKG_CFLAGS) $(CFLAGS)
ALL_LDFLAGS = -pthread $(SAN_LDFLAGS) $(LDFLAGS)

LIB_SRC := $(filter-out src/app/main.c,$(shell find src -name '*.c' | sort))
LIB_OBJ := $(LIB_SRC:%.c=$(O)/%.o)
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(O)/tests/%)
UNIT_HELPERS := $(filter-out $(UNIT_SRC),$(wildcard tests/unit/*.c))
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_NAMES := $(FUZZ_SRC:tests/fuzz/fuzz_%.c=%)
REPLAY_BIN := $(FUZZ_NAMES:%=$(O)/fuzz/replay_%)
FUZZ_SECONDS ?= 60

BIN := $(O)/latchkey

.PHONY: all deps run test asan unit replay e2e browser fuzz format format-check clean bench \
	test-pg e2e-pg valgrind
.DEFAULT_GOAL := all

all: $(BIN)
ifeq ($(O),build)
all: latchkey
latchkey: $(BIN)
	cp $< $@
endif

deps:
	@sh scripts/deps.sh

$(O)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@
$(O)/src/ui/assets.o: $(wildcard src/ui/templates/* src/ui/static/*)
$(O)/src/oauth/password_policy.o: src/oauth/common_passwords.txt

$(O)/liblatchkey.a: $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BIN): $(O)/src/app/main.o $(O)/liblatchkey.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

$(O)/tests/%: tests/unit/%.c $(UNIT_HELPERS:%.c=$(O)/%.o) $(O)/liblatchkey.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(UNIT_HELPERS:%.c=$(O)/%.o) \
		$(O)/liblatchkey.a $(PKG_LIBS) $(LAZY_LIBS) $(CMOCKA_LIBS) -lm

$(O)/fuzz/replay_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c $(O)/liblatchkey.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< tests/fuzz/replay.c \
		$(O)/liblatchkey.a $(PKG_LIBS) -lm

run: deps all
	./latchkey serve --db sqlite:latchkey.db --listen 127.0.0.1:8080

unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; $$t; done

# The store test suites again, on PostgreSQL: scripts/pg-test.sh starts a
# cluster of its own (as the postgres user when run by root), every suite
# runs even after one fails, and the trap stops and removes the cluster
# however the tests end.
STORE_BIN := $(filter $(O)/tests/test_store%,$(UNIT_BIN))
test-pg: $(STORE_BIN)
	@set -e; env=$$(sh scripts/pg-test.sh); eval "$$env"; \
	trap 'sh scripts/pg-test.sh stop' EXIT; status=0; \
	for t in $(STORE_BIN); do echo "== $$t (postgres)"; $$t || status=1; done; \
	exit $$status

replay: $(REPLAY_BIN)
	@set -e; for n in $(FUZZ_NAMES); do \
		echo "== replay $$n"; $(O)/fuzz/replay_$$n tests/fuzz/corpus/$$n; done

# Memcheck: any error or definite/indirect leak fails; a test's output is shown
# only when it fails.
valgrind: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== valgrind $$t"; \
		valgrind -q --error-exitcode=99 --leak-check=full \
			--errors-for-leak-kinds=definite,indirect $$t > $$t.valgrind 2>&1 || \
			{ cat $$t.valgrind; exit 1; }; done

e2e: $(BIN)
	LATCHKEY_BIN=$(abspath $(BIN)) node --test --test-concurrency=1 tests/e2e/

# The same black-box tests on PostgreSQL: the harness makes a database per
# test directory on the cluster's server (LATCHKEY_E2E_PG_URL is its admin
# connection), and the trap removes the cluster however the tests end.
e2e-pg: $(BIN)
	@set -e; env=$$(sh scripts/pg-test.sh); eval "$$env"; \
	trap 'sh scripts/pg-test.sh stop' EXIT; \
	LATCHKEY_E2E_PG_URL=$$LATCHKEY_TEST_DB_URL LATCHKEY_BIN=$(abspath $(BIN)) \
		node --test --test-concurrency=1 tests/e2e/

# The sign-in pages in Debian's Chromium; screenshots go to $(O)/screenshots.
browser: $(BIN)
	LATCHKEY_BIN=$(abspath $(BIN)) LATCHKEY_SCREENSHOT_DIR=$(abspath $(O))/screenshots \
		node --test --test-concurrency=1 tests/browser/

test: all unit replay e2e browser

asan:
	$(MAKE) O=build-asan SAN=1 unit replay e2e browser

# libFuzzer needs clang. Each target runs FUZZ_SECONDS, starting from the
# committed seeds in tests/fuzz/corpus/NAME; what it finds new goes to
# build-fuzz/corpus/NAME (copy an interesting input into the seeds by hand).
FUZZ_CFLAGS := $(BASE_CFLAGS) $(WARN) -O1 -fsanitize=fuzzer,address,undefined \
	-fno-omit-frame-pointer
fuzz:
	@mkdir -p build-fuzz
	@set -e; for n in $(FUZZ_NAMES); do \
		clang $(FUZZ_CFLAGS) $(PKG_CFLAGS) -o build-fuzz/fuzz_$$n \
			tests/fuzz/fuzz_$$n.c $(filter-out src/app/main.c,$(LIB_SRC)) \
			$(PKG_LIBS) -lm; \
		mkdir -p build-fuzz/corpus/$$n; \
		build-fuzz/fuzz_$$n -max_total_time=$(FUZZ_SECONDS) -max_len=8192 \
			build-fuzz/corpus/$$n tests/fuzz/corpus/$$n; \
	done

bench:
	@sh bench/run.sh

format:
	clang-format -i $$(find src tests -name '*.[ch]')

format-check:
	clang-format --dry-run --Werror $$(find src tests -name '*.[ch]')

clean:
	rm -rf build build-asan build-fuzz latchkey

-include $(shell find $(O) -name '*.d' 2>/dev/null)
