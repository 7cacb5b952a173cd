# covcast — build, test, bench. `make demo` and `make test` install what is
# missing (Debian packages, as root) before building.

CC      ?= cc
OPT     ?= -O2 -g
SAN     ?=
CFLAGS  += $(OPT) $(SAN) -std=gnu11 -Wall -Wextra -Wshadow -Wconversion -Wstrict-prototypes \
           -Wmissing-prototypes -Wno-sign-conversion -fopenmp -MMD -MP -Iinclude -Iengine
LDLIBS  += -lgsl -lgslcblas -lcsv -linih -lnettle -lunistring -lm
LDFLAGS += -fopenmp $(SAN)

PACKAGES = libgsl-dev libcsv-dev libinih-dev nettle-dev libcmocka-dev pkg-config \
           libunistring-dev gnuplot-nox fonts-dejavu-core libxml2-utils chromium valgrind

BUILD   = build
BIN     = covcast
ENGINE  = $(filter-out engine/main.c,$(wildcard engine/*.c))
OBJS    = $(ENGINE:engine/%.c=$(BUILD)/%.o)
TESTS   = $(patsubst tests/%.c,$(BUILD)/tests/%,$(wildcard tests/test_*.c))
STAMP   = $(BUILD)/.deps-ok

.PHONY: all deps demo test bench asan clean echo

all: $(BIN)

# Installs the Debian packages that are missing (once; the stamp remembers).
deps: $(STAMP)
$(STAMP):
	@missing=""; for p in $(PACKAGES); do \
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
	@mkdir -p $(BUILD) && touch $@

$(BIN): $(BUILD)/main.o $(BUILD)/libcovcast.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/libcovcast.a: $(OBJS)
	ar rcs $@ $^

$(BUILD)/%.o: engine/%.c | $(STAMP)
	@mkdir -p $(BUILD)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: tests/%.c tests/testutil.h $(BUILD)/libcovcast.a | $(STAMP)
	@mkdir -p $(BUILD)/tests
	$(CC) $(CFLAGS) -Wno-missing-prototypes -o $@ $< $(BUILD)/libcovcast.a -lcmocka $(LDLIBS)

demo: covcast
	./covcast run scenarios/nam-truc-2018.ini --out results/nam-truc-2018

# Every test: unit and statistical checks (cmocka), then golden CLI cases.
test: $(BIN) $(TESTS)
	@COVCAST=./$(BIN) LC_ALL=C sh tests/run.sh $(TESTS)

bench: covcast $(BUILD)/bench/province
	@sh bench/run.sh

$(BUILD)/bench/province: bench/province.c $(BUILD)/libcovcast.a | $(STAMP)
	@mkdir -p $(BUILD)/bench
	$(CC) $(CFLAGS) -Wno-missing-prototypes -o $@ $< $(BUILD)/libcovcast.a $(LDLIBS)

# The whole suite under AddressSanitizer and UndefinedBehaviorSanitizer.
asan:
	$(MAKE) BUILD=build-asan BIN=build-asan/covcast OPT="-O1 -g -fno-omit-frame-pointer" \
	        SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined" test

echo:
	@echo "CC=$(CC)"; echo "CFLAGS=$(CFLAGS)"; echo "LDLIBS=$(LDLIBS)"

clean:
	rm -rf build build-asan covcast tests/tmp

-include $(wildcard $(BUILD)/*.d $(BUILD)/tests/*.d)
