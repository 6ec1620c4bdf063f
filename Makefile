# Orbita: the two commands a newcomer needs are `make demo` and `make test`.
SWIFT ?= swift
BUILD_FLAGS = --explicit-target-dependency-import-check error
# Debian packages Orbita builds and runs against (tmux: the terminal map's test runs in it; postgresql-15: the test
# suite runs the PostgreSQL backend against a throwaway server of its own, scripts/with-postgres.sh).
DEPS = libsqlite3-dev libproj-dev proj-data zlib1g-dev pkg-config tmux postgresql-15 postgresql-client-15
# Python modules the tests use as oracles (never by Orbita itself): shapely/GEOS for geofence geometry.
TEST_PYTHON = shapely numpy

.PHONY: deps test-deps build release demo test lint format bench fuzz clean

## deps: install the Debian packages that are missing (nothing when all are present)
deps:
	@missing=""; for p in $(DEPS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing$$missing"; \
	  sudo=""; [ "$$(id -u)" -ne 0 ] && sudo=sudo; \
	  $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq $$missing; \
	fi

build: deps
	$(SWIFT) build $(BUILD_FLAGS)

release: deps
	$(SWIFT) build -c release $(BUILD_FLAGS) --product orbita
	$(SWIFT) build -c release $(BUILD_FLAGS) --product orbita-bench

## demo: build, then a live server on a demo database with a simulated fleet (buses on routes, one detouring, an
## ambulance, trucks), printing events as they are committed; Ctrl-C stops it cleanly (DEMO_SECONDS=N: after N s)
demo: build
	scripts/demo.sh

## test: lint, build with strict import checks, run the whole suite (beside a throwaway PostgreSQL on loopback,
## started and removed by scripts/with-postgres.sh, also when tests fail)
## test-deps: the test oracles (shapely) from PyPI when python3 lacks them
test-deps: deps
	@python3 -c 'import shapely, numpy' 2>/dev/null || python3 -m pip install -q $(TEST_PYTHON) \
	  || python3 -m pip install -q --break-system-packages $(TEST_PYTHON)

test: test-deps lint
	$(SWIFT) build --build-tests $(BUILD_FLAGS)
	scripts/with-postgres.sh $(SWIFT) test --skip-build

lint:
	$(SWIFT) format lint --strict -r Sources Tests Package.swift

format:
	$(SWIFT) format --in-place -r Sources Tests Package.swift

## bench: each measure next to its anchors in the same run: decode (checksum-scan limit, gpsdecode), import (SQLite
## insert limit), geofencing (shapely, PostGIS) and route deviation
bench: release
	Benchmarks/nmea-decode.sh
	Benchmarks/track-import.sh
	Benchmarks/geofence.sh

## fuzz: libFuzzer on the framer and decoder (FUZZ_SECONDS, default 600)
fuzz:
	Sources/NMEAFuzz/run.sh $${FUZZ_SECONDS:-600}

clean:
	rm -rf .build .build-fuzz
