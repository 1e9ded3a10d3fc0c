# Tacitus: a Livy-compatible Spark job server in C.
#   make run    install what is missing, build, serve https://127.0.0.1:$(TACITUS_PORT)
#   make stop   stop what make run started
#   make test   install, build, unit tests (plain, ASan+UBSan, valgrind), integration tests
#               (local Spark, then a real YARN that the tests start)
#   make test-cluster   the cluster tests alone (a real YARN, a real Spark standalone)
#   make unit   the unit tests alone; make unit SUITE=reqbody runs one suite of them
#   make bench  benchmarks (not in CI)
#   make fuzz   libFuzzer harnesses, FUZZ_SECONDS each (60); make test runs them 5 s each

CC      ?= cc
CFLAGS  ?= -O2 -g
WARN    := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wpedantic -Werror -Wshadow -Wstrict-prototypes
CPPFLAGS := -Iinclude -I/usr/include/postgresql -I/usr/include/libxml2
LDLIBS  := -lfcgi -ljson-c -lpq -lcurl -lxml2 -lz -lcrypto
SAN     := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

SRC     := $(wildcard app/*.c)
HDR     := $(wildcard include/*.h app/*.h)
# the pure modules (no FastCGI, no PostgreSQL, no process started): what the unit
# tests and the fuzzers link (the trackers with the HTTP layer they call, never
# called there)
PURE    := app/sweep.c app/leasewatch.c app/metrics.c app/livy.c app/config.c app/jobenv.c app/jsontext.c app/reqbody.c app/argv.c app/access.c app/track.c app/log.c app/hadoopconf.c app/track_yarn.c app/track_standalone.c app/httpout.c app/respawn.c app/sparkjar.c app/histquery.c app/hook.c app/push.c app/logchunk.c app/jobuser.c app/jsonmemo.c
PURELIBS := -ljson-c -lcurl -lxml2 -lz -lcrypto
UNIT    := $(wildcard tests/unit/*.c)
# the job shim, a program of its own (include/shim.h): what it needs and no more, so
# that each launch loads a small program rather than the server
SHIM    := app/shim.c app/launcher.c app/jobuser.c app/sweep.c app/log.c

export TACITUS_PORT ?= 8998

FUZZERS := reqbody query livyconf window sync sparkjar histquery
FUZZ_SECONDS ?= 60
FUZZ_FLAGS := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -g -O1 \
	      -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all

.PHONY: all deps run stop test unit integration test-cluster bench clean fuzz fuzz-smoke
all: build/tacitus build/tacitus-shim build/asan/tacitus build/asan/tacitus-shim

build/tacitus: $(SRC) $(HDR) | build
	$(CC) $(WARN) $(CFLAGS) $(CPPFLAGS) -o $@ $(SRC) $(LDLIBS)

build/tacitus-shim: $(SHIM) $(HDR) | build
	$(CC) $(WARN) $(CFLAGS) $(CPPFLAGS) -DTACITUS_SHIM_MAIN -o $@ $(SHIM) -ljson-c

build/asan/tacitus: $(SRC) $(HDR) | build
	@mkdir -p build/asan
	$(CC) $(WARN) $(SAN) $(CPPFLAGS) -o $@ $(SRC) $(LDLIBS)

build/asan/tacitus-shim: $(SHIM) $(HDR) | build
	@mkdir -p build/asan
	$(CC) $(WARN) $(SAN) $(CPPFLAGS) -DTACITUS_SHIM_MAIN -o $@ $(SHIM) -ljson-c

# test-only: an LD_PRELOAD library that makes fork() fail on demand (tests/integration)
build/failfork.so: tests/inject/failfork.c | build
	$(CC) $(WARN) $(CFLAGS) -shared -fPIC -o $@ $< -ldl

build/unit: $(UNIT) $(PURE) $(HDR) | build
	$(CC) $(WARN) $(CFLAGS) $(CPPFLAGS) -Itests/unit -o $@ $(UNIT) $(PURE) $(PURELIBS)

# a hand-run check of the standalone tracker on a real cluster (tests/cluster/sa_smoke.c)
build/sa-smoke: tests/cluster/sa_smoke.c app/track_standalone.c app/httpout.c app/track.c app/log.c $(HDR) | build
	$(CC) $(WARN) $(CFLAGS) $(CPPFLAGS) -o $@ tests/cluster/sa_smoke.c app/track_standalone.c app/httpout.c app/track.c app/log.c -ljson-c -lcurl

build/asan/unit: $(UNIT) $(PURE) $(HDR) | build
	@mkdir -p build/asan
	$(CC) $(WARN) $(SAN) $(CPPFLAGS) -Itests/unit -o $@ $(UNIT) $(PURE) $(PURELIBS)

build/fuzz/%: tests/fuzz/fuzz_%.c $(PURE) app/http.c $(HDR) | build
	@mkdir -p build/fuzz
	clang $(FUZZ_FLAGS) $(CPPFLAGS) -o $@ $< $(PURE) app/http.c $(PURELIBS) -lfcgi

# Each harness runs on a scratch copy of its seed corpus (tests/fuzz/corpus/NAME).
fuzz fuzz-smoke: $(addprefix build/fuzz/,$(FUZZERS))
	@for f in $(FUZZERS); do \
		rm -rf build/fuzz/corpus-$$f && cp -r tests/fuzz/corpus/$$f build/fuzz/corpus-$$f && \
		build/fuzz/$$f -max_total_time=$(if $(filter fuzz-smoke,$@),5,$(FUZZ_SECONDS)) \
			-max_len=4096 -print_final_stats=1 -artifact_prefix=build/fuzz/$$f- \
			build/fuzz/corpus-$$f \
			> build/fuzz/$$f.log 2>&1 || { tail -n 30 build/fuzz/$$f.log; exit 1; }; \
		echo "fuzz $$f: $$(grep -m1 -o 'Done [0-9]* runs in [0-9]* second' build/fuzz/$$f.log), no crash"; \
	done

build:
	@mkdir -p build

deps:
	@sh app/stack.sh deps

run: deps all
	@sh app/stack.sh start

stop:
	@sh app/stack.sh stop

# the unit suite(s) to run, all when empty; set on the command line only (not ?=, so
# that a SUITE in the environment cannot shorten make test)
SUITE =
unit: build/unit build/asan/unit
	build/unit $(SUITE)
	build/asan/unit $(SUITE)
	valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite build/unit $(SUITE)

integration: build/asan/tacitus build/asan/tacitus-shim build/failfork.so
	@sh tests/integration.sh
	@sh tests/integration.sh yarn
	@sh tests/integration.sh standalone

test-cluster: deps build/asan/tacitus build/asan/tacitus-shim
	@sh tests/integration.sh yarn
	@sh tests/integration.sh standalone

test: deps all unit fuzz-smoke integration

bench: deps all
	@sh tests/bench/run.sh
	@sh tests/bench/submit.sh
	@sh tests/bench/adopt.sh
	@sh tests/bench/loud.sh
	@sh tests/bench/end.sh
	@sh tests/bench/track.sh
	@sh tests/bench/yarn_submit.sh
	@sh tests/bench/sessions.sh
	@sh tests/bench/waiters.sh
	@sh tests/bench/livy.sh
	@sh tests/bench/report.sh
	@sh tests/bench/history.sh

clean:
	rm -rf build
