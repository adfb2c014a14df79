# kstlib-swift: the commands a person runs. `make demo` and `make test` work on a fresh Debian
# machine: they install what is missing first (libwebsockets-dev through apt).
SWIFT ?= swift
APT_PACKAGES := libwebsockets-dev pkg-config libssl-dev zlib1g-dev openssl python3-pip

.PHONY: deps demo test build examples clean

## Install the system packages the project needs, only when something is missing.
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		SUDO=""; [ "$$(id -u)" -eq 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi
	@python3 -c 'import websockets' 2>/dev/null || python3 -m pip install -q 'websockets>=12' 2>/dev/null \
		|| python3 -m pip install -q --break-system-packages 'websockets>=12'

## Stream live quotes from the embedded local server and print the final statistics.
demo: deps
	$(SWIFT) run ws-demo

build: deps
	$(SWIFT) build

## Every test, over real sockets on loopback. Serial: many tests wait on real sockets and
## timers, and on two cores parallel tests starve each other's timers.
test: deps conformance-unit
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --no-parallel

## The seeded simulation (Tests/KstlibWebSocketTests/Simulation): RUNS random schedules of server
## messages, drops, closes with every code, time, slow reads and user calls against the manager
## on an in-memory transport and a virtual clock, invariants checked after every step (and the
## pool's shard assignment and staggering under random events, from the same seed). Schedule i
## uses seed SEED+i, so `make simulate SEED=<its seed> RUNS=1` replays one. A failing schedule is
## printed with its seed and shrunk to the shortest that fails the same way; the run ends with
## "N passed, M failed" (KSTLIB_SIMULATION_TRACE=1 also prints the shortest one's run step by
## step; hashing is made deterministic so a replay is exact). Batches of SIMULATE_BATCH schedules, one test process each (a crash,
## an illegal state transition hitting the manager's precondition, names its schedule's seed).
SEED ?= 1
RUNS ?= 300
SIMULATE_BATCH ?= 20000
.PHONY: simulate
simulate: deps
	$(SWIFT) build --build-tests
	@passed=0; failed=0; seed=$(SEED); left=$(RUNS); \
	while [ $$left -gt 0 ]; do \
		n=$$(( left < $(SIMULATE_BATCH) ? left : $(SIMULATE_BATCH) )); \
		out=$$(SWIFT_DETERMINISTIC_HASHING=1 \
			KSTLIB_SIMULATION_SEED=$$seed KSTLIB_SIMULATION_RUNS=$$n KSTLIB_SIMULATION_VERBOSE=1 \
			$(SWIFT) test --skip-build --filter SimulationTests 2>&1); \
		echo "$$out" | sed -n '/^FAILED/,/^replay:/p;/^ *[0-9]*\. .* -> /,/^ *callbacks:/p'; \
		line=$$(echo "$$out" | grep -E '^[0-9]+ passed, [0-9]+ failed$$' | tail -1); \
		if [ -z "$$line" ]; then \
			echo "$$out" | tail -20; \
			echo "the simulation stopped during $$(echo "$$out" | grep '^schedule seed' | tail -1)"; exit 1; \
		fi; \
		batch_failed=$${line#*, }; batch_failed=$${batch_failed%% *}; \
		passed=$$((passed + $${line%% *})); failed=$$((failed + batch_failed)); \
		seed=$$((seed + n)); left=$$((left - n)); \
	done; \
	echo "$$passed passed, $$failed failed"; [ $$failed -eq 0 ]

## Every program in Examples/; each runs with no arguments against the embedded server
## (`swift run NAME`). `make test` builds them too, and its tests run three of them.
EXAMPLES := ws-demo echo-client error-handling proactive-trading reconnect-demo sharded-feed
examples: deps
	@for p in $(EXAMPLES); do echo "building $$p"; $(SWIFT) build --product $$p || exit 1; done

clean:
	rm -rf .build .build-docs Examples/feed-service/.build

## Examples/feed-service: the manager in a Hummingbird application (ServiceGroup, Prometheus
## /metrics, SIGTERM closing with 1001). A package of its own, so `make test` never builds
## Hummingbird; its test runs the service as a process against the embedded server.
.PHONY: feed-service
feed-service: deps
	cd Examples/feed-service && $(SWIFT) build --build-tests && $(SWIFT) test --skip-build

## Formatting: `.swift-format` at the root is the style; `lint` fails on any difference, `format` fixes it.
# Named folder by folder: a recursive walk of Examples/ or Benchmarks/ would enter their .build.
SWIFT_SOURCES := Package.swift Sources Tests $(addprefix Examples/,$(EXAMPLES)) \
	Examples/feed-service/Package.swift Examples/feed-service/Sources Examples/feed-service/Tests \
	Benchmarks/Package.swift Benchmarks/Sources \
	Fuzz/Package.swift Fuzz/Sources
.PHONY: format lint
format:
	$(SWIFT) format format --in-place --recursive --parallel $(SWIFT_SOURCES)

lint:
	$(SWIFT) format lint --strict --recursive --parallel $(SWIFT_SOURCES)
	Lint/libwebsockets-layer.sh

## The DocC documentation of KstlibWebSocket (Sources/KstlibWebSocket/Documentation.docc), built
## in a folder of its own so it never invalidates `make test`'s build; any DocC warning fails it.
## The archive lands in .build-docs/plugins/Swift-DocC/outputs/KstlibWebSocket.doccarchive.
.PHONY: docs
docs: deps
	$(SWIFT) package --scratch-path .build-docs --disable-sandbox \
		generate-documentation --target KstlibWebSocket --warnings-as-errors

## Benchmarks: the Swift client against a raw C libwebsockets client, same embedded server
## (a package of its own under Benchmarks/, so `make test` never builds it).
bench: deps
	cd Benchmarks && $(SWIFT) build -c release && ./.build/release/kstlib-bench run

## A benchmark smoke run for CI: every case once with a hundredth of the messages and 10
## connections, and a small pool case; it checks that the benchmark still runs (non-zero only if
## a case failed), no timing.
.PHONY: bench-smoke
bench-smoke: deps
	cd Benchmarks && $(SWIFT) build -c release && ./.build/release/kstlib-bench run --smoke \
		&& ./.build/release/kstlib-bench pool --topics 200 --shards 2 --rate 2000 --seconds 1 --subscribe-rate 50

## Soak (Benchmarks/README.md): the server's numbered /feed at 10,000 msg/s for SOAK_SECONDS while
## the server is killed (SIGKILL) and restarted every 5 s; one line every 10 s, then PASS or FAIL
## (RSS growth after warm-up below 5%, no message delivered twice).
SOAK_SECONDS ?= 600
.PHONY: soak
soak: deps
	cd Benchmarks && $(SWIFT) build -c release && ./.build/release/kstlib-bench soak --duration $(SOAK_SECONDS)

## Fuzzing: libFuzzer targets for the parsers that read hostile input (URL, configuration file,
## JSON helpers, handshake options, proxy variables, UTF-8, a refused upgrade's HTTP answer), in a
## package of their own under Fuzz/
## built with the fuzzer and AddressSanitizer. Each target runs FUZZ_SECONDS from its committed
## seeds (Fuzz/Corpus/<target>); the inputs it discovers go to Fuzz/.corpus/<target> (gitignored,
## picked up again by the next run). A crash, a broken invariant, an input slower than 10 s or a
## leak is saved in Fuzz/.artifacts/ and fails the target.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := fuzz-url fuzz-config fuzz-json fuzz-handshake fuzz-proxy fuzz-utf8 fuzz-http
# `--sanitize` also instruments the C code (libyaml); the Swift driver keeps only the last
# `-sanitize=` it is given, so Swift needs both sanitizers in one flag.
FUZZ_BUILD_FLAGS := -c release --scratch-path .build --sanitize=fuzzer --sanitize=address \
	-Xswiftc -sanitize=fuzzer,address
.PHONY: fuzz
fuzz: deps
	cd Fuzz && for target in $(FUZZ_TARGETS); do $(SWIFT) build $(FUZZ_BUILD_FLAGS) --product $$target || exit 1; done
	@# SWIFT_BACKTRACE=enable=no: libFuzzer, not the Swift backtracer, must handle a crash to save its input.
	cd Fuzz && mkdir -p .artifacts && for target in $(FUZZ_TARGETS); do \
		mkdir -p .corpus/$$target && echo "== $$target: $(FUZZ_SECONDS) s" && \
		SWIFT_BACKTRACE=enable=no .build/release/$$target -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
			-print_final_stats=1 -artifact_prefix=.artifacts/$$target- .corpus/$$target Corpus/$$target \
			|| exit 1; \
	done

## The Autobahn|Testsuite client cases against echo-client (Conformance/README.md), full sizes:
## a per-section table and a final "N passed, M failed" line; exits nonzero if any case failed.
## Compatibility with another libwebsockets (README, "Which libwebsockets"): builds the tarball
## LWS_TARBALL as LWS_BUILD (`Release`, as upstream and Homebrew build it, or `None`, as Debian
## and Ubuntu do) into .build-compat/, then runs every test and the quick conformance run
## against it. The system libwebsockets is not touched.
LWS_BUILD ?= Release
.PHONY: compat
compat: deps
	@[ -n "$(LWS_TARBALL)" ] || { echo "usage: make compat LWS_TARBALL=path/to/libwebsockets-X.Y.Z.tar.gz [LWS_BUILD=Release|None]"; exit 2; }
	@command -v cmake >/dev/null || { SUDO=""; [ "$$(id -u)" -eq 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq cmake; }
	Compat/run.sh "$(LWS_TARBALL)" "$(LWS_BUILD)"

## The benchmarks against that libwebsockets (Benchmarks/README.md, "Other libwebsockets"):
## `make compat-bench LWS_TARBALL=… [LWS_BUILD=Release] [BENCH_ARGS="--workloads push"]`.
.PHONY: compat-bench
compat-bench: deps
	@[ -n "$(LWS_TARBALL)" ] || { echo "usage: make compat-bench LWS_TARBALL=path/to/libwebsockets-X.Y.Z.tar.gz [LWS_BUILD=Release|None] [BENCH_ARGS=...]"; exit 2; }
	@command -v cmake >/dev/null || { SUDO=""; [ "$$(id -u)" -eq 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq cmake; }
	Compat/bench.sh "$(LWS_TARBALL)" "$(LWS_BUILD)" $(BENCH_ARGS)

# What the client promises for a burst of pings on this libwebsockets (echo-client --runtime).
PING_REPLIES = --ping-replies $$(.build/debug/echo-client --runtime | sed -n 's/^pingReplies=//p')
.PHONY: conformance conformance-quick
conformance: deps
	$(SWIFT) build --product echo-client
	python3 Conformance/fuzzingserver.py --client .build/debug/echo-client $(PING_REPLIES)

## The same at CI sizes (section 9 at 1/16, 9.7-9.8 and 12-13 with fewer messages), about a minute.
conformance-quick: deps
	$(SWIFT) build --product echo-client
	python3 Conformance/fuzzingserver.py --client .build/debug/echo-client --quick $(PING_REPLIES)

## Unit tests of the conformance server itself (Conformance/tests, Python unittest): the judge's
## verdicts and the case selection, on recorded facts, in a second; `make test` runs them first.
.PHONY: conformance-unit
conformance-unit:
	cd Conformance && python3 -m unittest discover -s tests -t .

## Sanitizers (Sanitizers/README.md): every test under ThreadSanitizer, then under
## AddressSanitizer (its LeakSanitizer check at exit fails the run too), serially, each in its
## own scratch path. A report makes the test process exit nonzero, so the target fails.
## Skipped under sanitizers only (`make test` runs them), because they measure speed, which a
## 5-15x sanitizer slowdown on two cores changes, not memory or thread safety:
## - ConformanceSuiteTests: 500 Autobahn cases through the echo-client example in a child
##   process, against a 175 s kill switch (`make conformance` runs them at normal speed);
## - slowReaderIsDroppedWithoutStallingOthers: its "fast" reader must keep up with 50,000
##   messages/s, which no sanitized client does, so the server drops it too. Run alone under
##   both sanitizers it fails only on that assertion, with no sanitizer report.
SANITIZE_SKIP := --skip 'ConformanceSuiteTests|slowReaderIsDroppedWithoutStallingOthers'
TSAN_MUTEX_LIB := .build-tsan/libkstlib-tsan-mutex.so
SANITIZE_TSAN_ENV := LD_PRELOAD=$(CURDIR)/$(TSAN_MUTEX_LIB) \
	TSAN_OPTIONS="suppressions=$(CURDIR)/Sanitizers/tsan.supp history_size=7 halt_on_error=0"
SANITIZE_ASAN_ENV := ASAN_OPTIONS="detect_leaks=1 strict_string_checks=1" \
	LSAN_OPTIONS="suppressions=$(CURDIR)/Sanitizers/lsan.supp print_suppressions=1"
.PHONY: sanitize sanitize-thread sanitize-address leaks

sanitize: sanitize-thread sanitize-address

sanitize-thread: deps
	$(SWIFT) build --build-tests --sanitize=thread --scratch-path .build-tsan
	clang -shared -fPIC -O1 -o $(TSAN_MUTEX_LIB) Sanitizers/tsan-mutex-annotations.c -ldl
	$(SANITIZE_TSAN_ENV) $(SWIFT) test --skip-build --no-parallel --sanitize=thread --scratch-path .build-tsan \
		$(SANITIZE_SKIP)

sanitize-address: deps
	$(SWIFT) build --build-tests --sanitize=address --scratch-path .build-asan
	$(SANITIZE_ASAN_ENV) $(SWIFT) test --skip-build --no-parallel --sanitize=address --scratch-path .build-asan \
		$(SANITIZE_SKIP)

## 1,000 connect/close cycles against the embedded server (LeakCycleTests, skipped unless
## KSTLIB_LEAK_CYCLES is set) in the AddressSanitizer build; any leak LeakSanitizer finds at
## exit that Sanitizers/lsan.supp does not name fails the target.
LEAK_CYCLES ?= 1000
leaks: deps
	$(SWIFT) build --build-tests --sanitize=address --scratch-path .build-asan
	KSTLIB_LEAK_CYCLES=$(LEAK_CYCLES) $(SANITIZE_ASAN_ENV) $(SWIFT) test --skip-build --sanitize=address \
		--scratch-path .build-asan --filter LeakCycleTests
