# Peregrine build and test commands. Every target works on a machine with only
# Go, git and make; nested modules (interop/, bench/) are tested when present.

GO        ?= go
FUZZTIME  ?= 10s
BENCHTIME ?= 1s
NESTED    := $(wildcard interop/go.mod bench/go.mod)

.PHONY: all build test vet fuzz bench run

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

run:
	$(GO) run ./cmd/peregrine serve
