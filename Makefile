# covcast — build, test, bench. `make demo` and `make test` install what is
# missing (Debian packages, as root) before building.

CC      ?= cc
OPT     ?= -O2 -g
MPI     ?= 0
SAN     ?=
CFLAGS  += $(OPT) $(SAN) -std=gnu11 -Wall -Wextra -Wshadow -Wconversion -Wstrict-prototypes \
           -Wmissing-prototypes -Wno-sign-conversion -fopenmp -MMD -MP -Iinclude -Iengine
LDLIBS  += -lgsl -lgslcblas -lcsv -linih -lnettle -lunistring -ljansson -lm
LDFLAGS += -fopenmp $(SAN)

PACKAGES = libgsl-dev libcsv-dev libinih-dev nettle-dev libunistring-dev pkg-config \
           gnuplot-nox fonts-dejavu-core libmicrohttpd-dev libjansson-dev
# what only the tests need: a C test framework, an SVG parser, a browser for
# the report, valgrind; an HTTP client and a driven browser for `serve`
TEST_PACKAGES = libcmocka-dev libxml2-utils chromium valgrind \
                libcurl4-openssl-dev python3-selenium chromium-driver

MPI_PACKAGES = openmpi-bin libopenmpi-dev

BUILD   = build
BIN     = covcast
STAMP_NAME = .deps-ok
ifeq ($(MPI),1)
CC      = mpicc
CFLAGS  += -DCOV_MPI
BUILD   = build-mpi
# `make MPI=1` installs OpenMPI too (its own stamp: one left by a build
# without it does not count)
PACKAGES += $(MPI_PACKAGES)
STAMP_NAME = .deps-mpi-ok
endif
ENGINE  = $(filter-out engine/main.c,$(wildcard engine/*.c))
OBJS    = $(ENGINE:engine/%.c=$(BUILD)/%.o)
TESTS   = $(patsubst tests/%.c,$(BUILD)/tests/%,$(wildcard tests/test_*.c))
STAMP   = $(BUILD)/$(STAMP_NAME)
# where the tests write their scratch files (one per build folder, so the
# plain and sanitized suites can run side by side)
TESTS_TMP ?= tests/tmp

.PHONY: all deps demo test bench asan fuzz fuzz-deps mpi mpi-deps clean echo

all: $(BIN)

# Installs the Debian packages that are missing (once; the stamps remember).
define install_missing
	@missing=""; for p in $(1); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null || exit 1; \
	  else \
	    echo "Missing packages. Run:  sudo apt-get install$$missing"; exit 1; \
	  fi; \
	fi
endef

deps: $(STAMP)
$(STAMP):
	$(call install_missing,$(PACKAGES))
	@mkdir -p $(BUILD) && touch $@

$(BUILD)/.test-deps-ok: | $(STAMP)
	$(call install_missing,$(TEST_PACKAGES))
	@touch $@

$(BIN): $(BUILD)/main.o $(BUILD)/libcovcast.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/libcovcast.a: $(OBJS)
	ar rcs $@ $^

$(BUILD)/%.o: engine/%.c | $(STAMP)
	@mkdir -p $(BUILD)
	$(CC) $(CFLAGS) -c -o $@ $<

# the page's files are built into the program (.incbin in webfiles.c)
WEB_FILES = web/index.html web/app.js web/style.css
$(BUILD)/webfiles.o build-fuzz/webfiles.o: $(WEB_FILES)

$(BUILD)/tests/%: tests/%.c tests/testutil.h $(BUILD)/libcovcast.a | $(BUILD)/.test-deps-ok
	@mkdir -p $(BUILD)/tests
	$(CC) $(CFLAGS) -Wno-missing-prototypes -DTMP='"$(TESTS_TMP)"' -o $@ $< $(BUILD)/libcovcast.a -lcmocka $(LDLIBS)

demo: covcast
	./covcast run scenarios/nam-truc-2018.ini --out results/nam-truc-2018

# Every test: unit and statistical checks (cmocka), then golden CLI cases,
# charts, reliability, the cost guard and, where OpenMPI is installed (`make
# mpi` installs it), the MPI byte-identity check, built in $(BUILD)-mpi (a
# BUILD given on the command line would otherwise be the MPI build's too).
test: $(BIN) $(TESTS) $(BUILD)/bench/province $(BUILD)/tests/serve_api
	@mpi=""; if [ -z "$(SAN)" ] && command -v mpicc >/dev/null 2>&1 && command -v mpirun >/dev/null 2>&1; then \
	  $(MAKE) --no-print-directory MPI=1 BUILD=$(BUILD)-mpi BIN=$(BUILD)-mpi/covcast $(BUILD)-mpi/covcast >/dev/null \
	    || { echo "FAILED: the MPI build (make MPI=1)"; exit 1; }; mpi=$(BUILD)-mpi/covcast; fi; \
	COVCAST=./$(BIN) MPI_COVCAST="$$mpi" PROVINCE=$(BUILD)/bench/province SERVE_API=$(BUILD)/tests/serve_api SANITIZED="$(SAN)" TESTS_TMP=$(TESTS_TMP) LC_ALL=C \
	  sh tests/run.sh $(TESTS)

# the API tests of `covcast serve` (libcurl; run by tests/serve.sh)
$(BUILD)/tests/serve_api: tests/serve_api.c | $(BUILD)/.test-deps-ok
	@mkdir -p $(BUILD)/tests
	$(CC) $(CFLAGS) -Wno-missing-prototypes -o $@ $< -lcurl -ljansson -lm

# the bench compares the engine with a vectorised NumPy reference
$(BUILD)/.bench-deps-ok: | $(STAMP)
	$(call install_missing,python3-numpy)
	@touch $@

bench: covcast $(BUILD)/bench/province $(BUILD)/.bench-deps-ok
	@sh bench/run.sh
	@sh bench/scaling.sh

$(BUILD)/bench/province: bench/province.c $(BUILD)/libcovcast.a | $(STAMP)
	@mkdir -p $(BUILD)/bench
	$(CC) $(CFLAGS) -Wno-missing-prototypes -o $@ $< $(BUILD)/libcovcast.a $(LDLIBS)

# The forecasts of the national targets against what happened
# (docs/VALIDATION.md), into results/validation (OUT=... elsewhere). Not part
# of `make test`, which runs it on one year (tests/validate.sh).
.PHONY: validate
validate: $(BIN)
	COVCAST=./$(BIN) sh validation/validate.sh

# OpenMPI: `make MPI=1` installs what is missing, OpenMPI included, and
# builds ./covcast for `mpirun -np K ./covcast run ...`. `make mpi` checks
# that command as the README gives it, in a fresh copy of the sources (no
# build, no stamp: on a bare machine it must install OpenMPI itself), then
# that its ./covcast gives the same bytes on 1, 2 and 3 ranks.
MPI_FRESH = build-mpi-fresh
mpi-deps:
	$(call install_missing,$(MPI_PACKAGES))

mpi:
	rm -rf $(MPI_FRESH) && mkdir -p $(MPI_FRESH) && cp -R Makefile engine include web $(MPI_FRESH)/
	cd $(MPI_FRESH) && env -u MAKEFLAGS -u MFLAGS -u MAKEOVERRIDES $(MAKE) MPI=1
	@COVCAST=$(MPI_FRESH)/covcast sh tests/mpi.sh

# The whole suite under AddressSanitizer and UndefinedBehaviorSanitizer.
asan:
	$(MAKE) BUILD=build-asan BIN=build-asan/covcast OPT="-O1 -g -fno-omit-frame-pointer" \
	        SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined" test

# libFuzzer targets (clang) for the CSV reader, the population loader, the
# scenario/INI loaders and the chart scripts (plot.c, without gnuplot), each
# run for FUZZ_SECONDS from the seed corpus in tests/fuzz/corpus (new inputs
# go to build-fuzz/corpus, not into the tree); json: the request bodies of
# `covcast serve` (fuzz_json.c); history: the history reader and, on small
# histories, calibrate's fit and model file (fuzz_history.c).
FUZZ_SECONDS ?= 60
FUZZ_TARGETS = csv population scenario plot json history
FUZZ_CFLAGS = -std=gnu11 -g -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined \
              -Wno-unknown-pragmas -Iinclude -Iengine
FUZZ_OBJS = $(ENGINE:engine/%.c=build-fuzz/%.o)

.SECONDARY: $(FUZZ_OBJS)

fuzz-deps:
	$(call install_missing,clang libclang-rt-14-dev)

build-fuzz/%.o: engine/%.c | fuzz-deps $(STAMP)
	@mkdir -p build-fuzz
	clang $(FUZZ_CFLAGS) -c -o $@ $<

build-fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_common.h $(FUZZ_OBJS)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_OBJS) $(LDLIBS)

fuzz: $(FUZZ_TARGETS:%=build-fuzz/fuzz_%)
	@for t in $(FUZZ_TARGETS); do \
	  case $$t in csv|population) c=csv ;; plot) c=plot ;; json) c=json ;; history) c=history ;; *) c=ini ;; esac; \
	  mkdir -p build-fuzz/corpus/$$t build-fuzz/crashes; \
	  echo "fuzz_$$t: $(FUZZ_SECONDS) s"; \
	  ./build-fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=4096 \
	    -artifact_prefix=build-fuzz/crashes/$$t- build-fuzz/corpus/$$t tests/fuzz/corpus/$$c \
	    > build-fuzz/fuzz_$$t.log 2>&1 || { tail -40 build-fuzz/fuzz_$$t.log; exit 1; }; \
	  grep -E '^Done|stat::number_of_executed_units' build-fuzz/fuzz_$$t.log | tail -1; \
	done; echo "fuzz: no crash, leak or timeout"

echo:
	@echo "CC=$(CC)"; echo "CFLAGS=$(CFLAGS)"; echo "LDLIBS=$(LDLIBS)"

clean:
	rm -rf build build-asan build-fuzz build-mpi build-mpi-fresh covcast tests/tmp

-include $(wildcard $(BUILD)/*.d $(BUILD)/tests/*.d)
