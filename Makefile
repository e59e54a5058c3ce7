# orgpass — the two commands a newcomer needs are `make dev` and `make test`.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PORT ?= 8787
INSPECTOR_PORT ?= 9229
WRANGLER_ARGS ?=
STATE_DIR ?= .wrangler/state

export PATH := $(CURDIR)/.tools/bin:$(PATH)
# worker-build would download these from GitHub; point it at the cached ones.
export WASM_BINDGEN_BIN := $(CURDIR)/.tools/bin/wasm-bindgen
export WASM_OPT_BIN := $(CURDIR)/node_modules/.bin/wasm-opt
export CLOUDFLARE_CF_FETCH_ENABLED := false
export WRANGLER_SEND_METRICS := false

WRANGLER := ./node_modules/.bin/wrangler

.PHONY: bench-cold-start bench-scim bench-audit bench-load bench-saml-hostile bench-sso bench-saml bench-members bench-self-service bench-oidc help setup build build-fast dev test lint unit e2e size bench bench-cron bench-dns fuzz clean

help:
	@echo "make dev    build and serve orgpass on http://127.0.0.1:$(PORT) (local D1/KV, mail at /dev/mailbox)"
	@echo "make test   formatting, clippy (host and wasm), unit tests, end-to-end and browser tests"
	@echo "make size   release wasm size, raw and gzipped"
	@echo "make bench  route timings and D1 round trips against a local Worker"

setup:
	@scripts/setup.sh

SOURCES := $(shell find src crates/*/src crates/*/Cargo.toml migrations -type f) Cargo.toml Cargo.lock

# Release build (wasm-opt on): what `make dev` serves and `make size` measures. The
# stamps make a second `make dev` skip the build when nothing changed; each flavour
# removes the other's stamp since both write build/.
# The function names are dropped (85 KiB gzipped) unless WASM_NAMES=1, which the
# profiler's per-function breakdown needs (docs/performance.md).
RELEASE := build/.release$(if $(WASM_NAMES),-names)
build: setup $(RELEASE)
$(RELEASE): $(SOURCES)
	worker-build --release
	$(if $(WASM_NAMES),,node scripts/strip-wasm-names.mjs build/index_bg.wasm)
	rm -f build/.fast build/.release build/.release-names && touch $@

# Test build: same code, wasm-opt skipped (seconds instead of a minute).
build-fast: setup build/.fast
build/.fast: $(SOURCES)
	worker-build --release --no-opt
	rm -f build/.release build/.release-names && touch $@

# The development signing key of the OpenID Connect provider: made here once, kept in
# .tools/ (ignored by git), never committed.
OIDC_DEV_KEY := .tools/oidc-dev-key.b64
$(OIDC_DEV_KEY):
	mkdir -p .tools
	node scripts/oidc-dev-key.mjs > $@.tmp && mv $@.tmp $@

dev: build $(OIDC_DEV_KEY)
	$(WRANGLER) d1 migrations apply DB --local --persist-to $(STATE_DIR)
	SKIP_WORKER_BUILD=1 $(WRANGLER) dev --ip 127.0.0.1 --port $(PORT) \
	  --inspector-port $(INSPECTOR_PORT) --persist-to $(STATE_DIR) \
	  --var ENVIRONMENT:development --var BASE_URL:http://127.0.0.1:$(PORT) \
	  --var OIDC_SIGNING_KEY:$$(cat $(OIDC_DEV_KEY)) $(WRANGLER_ARGS)

lint: setup
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings
	cargo clippy --lib --target wasm32-unknown-unknown -- -D warnings

unit:
	cargo test --workspace --lib --bins
	cargo test -p saml-sp --test saml_verify

# The end-to-end suite starts its own wrangler dev (free ports, fresh state) against
# build/, with real peers: Debian's chromium + chromedriver, Knot behind dnsdist. Before
# it, our SAML verdicts beside python3-saml's (installed by the same script).
e2e: build-fast
	scripts/install-test-peers.sh
	cargo test -p saml-sp --test python3_saml
	cargo test --test e2e

test: lint unit e2e

size: build
	@raw=$$(stat -c %s build/index_bg.wasm); gz=$$(gzip -9 -c build/index_bg.wasm | wc -c); \
	  awk -v r=$$raw -v g=$$gz 'BEGIN { printf "release wasm: %d bytes raw (%.1f KiB), %d bytes gzipped (%.1f KiB); budget 1024 KiB gzipped, free plan limit 3 MiB\n", r, r/1024, g, g/1024 }'

# Route timings and D1 round trips against the release Worker (see docs/performance.md).
bench: build
	cargo bench --bench routes

# Member lists of a 5,000-member organization, authorize and project members: wall time,
# D1 round trips and CPU per request (see docs/performance.md).
bench-members: build
	cargo bench --bench members

# CPU per request of the self-service and two-step routes, the password-deriving ones
# against the rest (see docs/performance.md).
bench-self-service: build
	cargo bench --bench self_service

# The OpenID Connect provider: CPU per request of its endpoints, the token endpoint's
# RS256 signature included (see docs/performance.md).
bench-oidc: build
	cargo bench --bench oidc

# Throughput of authenticated routes under 8 loopback clients, as a share of a trivial
# route's in the same run (see docs/performance.md).
bench-load: build
	cargo bench --bench load

# Time to the first answer of a fresh isolate, beside a one-line JS Worker (Miniflare).
bench-cold-start: build
	node benches/cold-start.mjs

# The DNS codec natively, and a domain check through the Worker against a real DoH
# server (see docs/performance.md).
bench-dns: build
	cargo bench -p orgpass-core --bench dns
	scripts/install-test-peers.sh
	cargo bench --bench verify

# One Cron run over 100,000 seeded organizations (see docs/performance.md).
# SAML verification natively, beside libxmlsec1 (the `xmlsec` binding from PyPI, in a
# virtualenv under .tools/) verifying the same documents in one process.
BENCH_VENV = .tools/bench-venv
bench-saml:
	@test -x $(BENCH_VENV)/bin/python || python3 -m venv $(BENCH_VENV)
	@$(BENCH_VENV)/bin/python -c "import xmlsec, lxml" 2>/dev/null || $(BENCH_VENV)/bin/pip install --quiet xmlsec lxml
	BENCH_PYTHON=$(CURDIR)/$(BENCH_VENV)/bin/python cargo bench -p saml-sp --bench saml

# The worst 256 KiB ACS bodies we can build, refused natively (see docs/performance.md).
bench-saml-hostile:
	cargo bench -p saml-sp --bench saml_hostile

# SAML logins through the ACS with responses signed by pysaml2 (RSA 2048/4096): wall
# time and D1 round trips per login, CPU per login, logins per second under load (see
# docs/performance.md).
bench-sso: build
	scripts/install-test-peers.sh
	cargo bench --bench sso

# SCIM provisioning: 1,000 Users in a row, pages, searches, PATCHes; wall time, D1 round
# trips and CPU per request (see docs/performance.md).
bench-scim: build
	scripts/install-test-peers.sh
	cargo bench --bench scim

# The audit log over 100,000 events: a page, the CSV export of all of them; wall time,
# D1 round trips, CPU (see docs/performance.md).
bench-audit: build
	cargo bench --bench audit

bench-cron: build
	scripts/bench-cron.sh

# Fuzz the DNS answer readers and the SAML core for FUZZ_SECONDS each (nightly +
# cargo-fuzz, installed into .tools/ when missing). Seeds: the captured real-server
# DNS answers and the xmlsec1-signed SAML responses.
FUZZ_SECONDS ?= 60
FUZZ_FLAGS = -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=512
fuzz:
	@command -v cargo-fuzz >/dev/null || cargo install --quiet --root .tools cargo-fuzz
	mkdir -p fuzz/corpus/dns_answer && cp crates/orgpass-core/tests/fixtures/dns/*.bin fuzz/corpus/dns_answer/
	cd fuzz && cargo +nightly fuzz run dns_answer corpus/dns_answer -- $(FUZZ_FLAGS)
	mkdir -p fuzz/corpus/saml_response && cp crates/saml-sp/tests/fixtures/*.xml fuzz/corpus/saml_response/
	cd fuzz && cargo +nightly fuzz run saml_response corpus/saml_response -- $(FUZZ_FLAGS) -max_len=262144

clean:
	rm -rf build target .wrangler
