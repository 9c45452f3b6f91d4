# Targets are what CI runs. `make test` is the whole test suite; `make demo`
# starts a whole federation on this machine.
# Go 1.27.3, the approved toolchain: the go command fetches it from the module
# proxy (a machine starts on its own Go and would otherwise use that).
export GOTOOLCHAIN ?= go1.27.3
GO        ?= go
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)
BIN       := bin/twinfed
PKGS      := ./...
TESTFLAGS ?= -timeout 30m
BENCHTIME ?= 1x
BENCH ?= .
FUZZTIME  ?= 2000x

.PHONY: all build test test-year-ahead test-race unit fuzz bench soak mem512 fmt fmt-check vet vuln demo image clean interop

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/twinfed

# test: formatting, vet, every test (real Badger, Raft, HTTP, browser), and a
# short run of each fuzz target.
test: fmt-check vet interop unit fuzz

# interop installs the fediverse server the interop tests run against a
# node (Fedify, run with Bun; both from the npm registry, pinned by
# interop/fedify/package-lock.json), once.
interop: interop/fedify/node_modules/.bin/bun
interop/fedify/node_modules/.bin/bun: interop/fedify/package-lock.json
	npm ci --prefix interop/fedify --no-audit --no-fund
	@touch $@

unit:
	$(GO) test $(TESTFLAGS) $(PKGS)

# test-year-ahead runs the whole suite with Go's clock a year ahead
# (.ci/year-ahead): no test may depend on the day it runs.
test-year-ahead:
	.ci/year-ahead

# vuln runs govulncheck (reachable vulnerabilities only) against a
# database built from the golang.org/x/vulndb module of the module proxy:
# the public database, vuln.go.dev, cannot be reached from here. Raise
# VULNDB_VERSION (and its commit time) to take newer reports.
VULNDB_VERSION ?= v0.0.0-20261105234957-e22db6528018
VULNDB_TIME    ?= 2026-11-05T23:49:57Z
VULNDB_DIR     ?= $(or $(TMPDIR),/tmp)/twinfed-vulndb
vuln:
	@cd $(or $(TMPDIR),/tmp) && $(GO) mod download golang.org/x/vulndb@$(VULNDB_VERSION)
	$(GO) run .ci/vulndb.go -osv "$$($(GO) env GOMODCACHE)/golang.org/x/vulndb@$(VULNDB_VERSION)/data/osv" -modified $(VULNDB_TIME) -out $(VULNDB_DIR)
	$(GO) run golang.org/x/vuln/cmd/govulncheck@v1.9.0 -db file://$(VULNDB_DIR) ./...

test-race:
	$(GO) test -race $(TESTFLAGS) $(PKGS)

# fuzz runs each Fuzz target for FUZZTIME (an input count, not a duration: go-fed's
# baseline coverage pass alone takes ~10 s, and a timed run can hit Go 1.26's
# spurious "context deadline exceeded", go.dev/issue/75804). Targets are found
# with go test -list.
fuzz:
	@set -e; for pkg in $$($(GO) list $(PKGS)); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz' || true); do \
	    echo "fuzz $$pkg $$f"; \
	    $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done

# bench runs every benchmark once through (each one sizes its own work and
# reports rates with b.ReportMetric) and merges its figures into
# docs/benchmarks.md, row by row; PKGS=./node refreshes one package's rows,
# BENCH=ProfilePage (a -bench pattern) one benchmark's. -p 1:
# one package at a time, so that no two benchmarks share the 2 cores.
bench:
	$(GO) test -p 1 -run '^$$' -bench '$(BENCH)' -benchtime '$(BENCHTIME)' -timeout 60m $(PKGS) 2>&1 | tee bench.out | $(GO) run ./cmd/benchreport -o docs/benchmarks.md
	@echo "wrote docs/benchmarks.md"

# soak is the soak test of issue 21 (cmd/soak, docs/soak.md): the demo's
# federation as deployed (three registry members and three nodes, separate
# processes) under a mixed workload at half its measured capacity for
# SOAK_DURATION. It writes docs/soak/ (soak.csv, soak.svg, results.md) and
# each process's heap and goroutine profiles near the warm-up's end and at
# the end, and its CPU profile in between, into soak-profiles/, and fails when a heap or the goroutines grew 5 %
# or more after the warm-up or a request failed. About 12 minutes of the
# machine; not part of `make test` (which runs a 20-second version).
SOAK_DURATION ?= 10m
soak: build
	$(GO) run ./cmd/soak -bin $(BIN) -duration $(SOAK_DURATION) -out docs/soak -profiles soak-profiles

# mem512 measures a whole national node in 512 MiB (issue 18, cmd/mem512,
# docs/memory.md): one `twinfed node` with 1.2 million public profiles in its
# directory and the 36 UI languages, in a memory cgroup of MEM512_LIMIT MiB
# (when the machine lets it make one) with GOMEMLIMIT=MEM512_GOMEMLIMIT,
# under a page mix over HTTP for MEM512_DURATION. The first run seeds
# MEM512_DATA (about 5 minutes); it writes docs/memory-run.md. Not part of
# `make test`.
MEM512_DATA ?= /tmp/twinfed-mem512
MEM512_DURATION ?= 3m
MEM512_LIMIT ?= 512
MEM512_GOMEMLIMIT ?= 400MiB
mem512: build
	$(GO) run ./cmd/mem512 -bin $(BIN) -data $(MEM512_DATA) -duration $(MEM512_DURATION) -limit-mib $(MEM512_LIMIT) -gomemlimit $(MEM512_GOMEMLIMIT) -out docs/memory-run.md

fmt:
	gofmt -w .

fmt-check:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(PKGS)

demo: build
	$(BIN) demo

# image builds the container image (deploy/image/Dockerfile, FROM scratch):
# the context holds the static binary, this host's CA bundle and the passwd
# and group files of the unprivileged user. Needs a Docker engine.
IMAGE ?= twinfed:$(VERSION)
image: build
	rm -rf bin/image && mkdir -p bin/image
	cp $(BIN) deploy/image/Dockerfile deploy/image/passwd deploy/image/group bin/image/
	cp /etc/ssl/certs/ca-certificates.crt bin/image/
	docker build -t $(IMAGE) bin/image

clean:
	rm -rf bin bench.out soak-profiles
