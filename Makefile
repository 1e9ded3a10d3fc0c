# Tacitus: a Livy-compatible Spark job server in C.
#   make run    install what is missing, build, serve https://127.0.0.1:$(TACITUS_PORT)
#   make stop   stop what make run started
#   make test   install, build, unit tests (plain, ASan+UBSan, valgrind), integration tests
#   make bench  benchmarks (not in CI)

CC      ?= cc
CFLAGS  ?= -O2 -g
WARN    := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes
CPPFLAGS := -Iinclude -I/usr/include/postgresql
LDLIBS  := -lfcgi -ljson-c -lpq
SAN     := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

SRC     := $(wildcard app/*.c)
HDR     := $(wildcard include/*.h)
# modules without FastCGI or PostgreSQL: what the unit tests link
PURE    := app/livy.c app/config.c app/batchreq.c app/launcher.c app/track.c app/log.c app/shim.c \
	   app/access.c
UNIT    := $(wildcard tests/unit/*.c)

export TACITUS_PORT ?= 8998

.PHONY: all deps run stop test unit integration bench clean
all: build/tacitus build/asan/tacitus

build/tacitus: $(SRC) $(HDR) | build
	$(CC) $(WARN) $(CFLAGS) $(CPPFLAGS) -o $@ $(SRC) $(LDLIBS)

build/asan/tacitus: $(SRC) $(HDR) | build
	@mkdir -p build/asan
	$(CC) $(WARN) $(SAN) $(CPPFLAGS) -o $@ $(SRC) $(LDLIBS)

build/unit: $(UNIT) $(PURE) $(HDR) | build
	$(CC) $(WARN) $(CFLAGS) $(CPPFLAGS) -Itests/unit -o $@ $(UNIT) $(PURE) -ljson-c

build/asan/unit: $(UNIT) $(PURE) $(HDR) | build
	@mkdir -p build/asan
	$(CC) $(WARN) $(SAN) $(CPPFLAGS) -Itests/unit -o $@ $(UNIT) $(PURE) -ljson-c

build:
	@mkdir -p build

deps:
	@sh app/stack.sh deps

run: deps all
	@sh app/stack.sh start

stop:
	@sh app/stack.sh stop

unit: build/unit build/asan/unit
	build/unit
	build/asan/unit
	valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite build/unit

integration: build/asan/tacitus
	@sh tests/integration.sh

test: deps all unit integration

bench: deps all
	@sh tests/bench/run.sh
	@sh tests/bench/submit.sh
	@sh tests/bench/adopt.sh
	@sh tests/bench/livy.sh

clean:
	rm -rf build
