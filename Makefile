# Peregrine build and test commands. Every target works on a machine with only
# Go, git and make; nested modules (interop/, bench/) are tested when present.

GO        ?= go
FUZZTIME  ?= 10s
BENCHTIME ?= 1s
NESTED    := $(wildcard interop/go.mod bench/go.mod)

.PHONY: all build test vet fuzz bench run test-browser test-browser-wt

all: build

build:
	$(GO) build ./...

vet:
	$(GO) vet ./...
	@for m in $(dir $(NESTED)); do echo "== vet $$m"; (cd $$m && $(GO) vet ./...) || exit 1; done

# test runs go vet, then the race-enabled, shuffled test suite of the root
# module and of every nested module.
test: vet
	$(GO) test -race -shuffle=on -timeout 20m ./...
	@for m in $(dir $(NESTED)); do echo "== test $$m"; \
		(cd $$m && $(GO) test -race -shuffle=on -timeout 20m ./...) || exit 1; done

# fuzz runs every FuzzXxx target in the tree for FUZZTIME each.
fuzz:
	FUZZTIME=$(FUZZTIME) bash scripts/fuzz.sh

bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) ./...
	@if [ -f bench/go.mod ]; then echo "== bench bench/"; \
		(cd bench && $(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME)) || exit 1; fi

# run serves the demo site on :4433 (UDP for HTTP/3, TCP for HTTP/1.1 and HTTP/2) with a
# generated development certificate; it prints how to open it in Chromium.
run:
	$(GO) run ./cmd/peregrine serve

# test-browser has headless Chromium load the demo site over HTTP/3 (see
# scripts/test-browser.sh; Chromium is installed with apt-get when missing).
test-browser:
	bash scripts/test-browser.sh

# test-browser-wt has headless Chromium run tools/chromium-h3's wt-test page (fetch, session,
# datagram, bidi, uni, server bidi and close steps) against package wt's echo server.
test-browser-wt:
	WT_BROWSER=1 $(GO) test -count=1 -run '^TestBrowser$$' -v ./wt
