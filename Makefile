# etcdwalk: `make run` starts the newest chapter's server, `make test` checks everything CI checks.
# Tools are pinned in tools/go.mod (`tool` directives) and built into .bin/.

NEWEST  := chapters/04-linearizable-read
GO      ?= go
BIN     := $(CURDIR)/.bin
TOOLS   := $(BIN)/buf $(BIN)/protoc-gen-go $(BIN)/protoc-gen-go-grpc $(BIN)/staticcheck $(BIN)/workshopcheck
# One buf invocation per chapter that owns .proto files: its template, then its --path flags.
PROTO_GEN := \
	"chapters/01-rpc/buf.gen.yaml --path chapters/01-rpc/api/etcdserverpb --path chapters/01-rpc/api/mvccpb" \
	"chapters/03-propose-wait/buf.gen.yaml --path chapters/03-propose-wait/api/etcdserverpb"
ENDPOINTS ?= http://127.0.0.1:2379,http://127.0.0.1:22379,http://127.0.0.1:32379
# The client URLs `make run` serves, one per member: ENDPOINTS, unless ARGS has --listen-client-urls
# (as --listen-client-urls=URLS or --listen-client-urls URLS; the last one, as the server reads it).
comma := ,
RUN_ARGS_URLS = $(patsubst -listen-client-urls=%,%,$(lastword $(filter -listen-client-urls=%,$(subst -listen-client-urls ,-listen-client-urls=,$(subst --listen-client-urls,-listen-client-urls,$(ARGS))))))
RUN_URLS = $(or $(RUN_ARGS_URLS),$(ENDPOINTS))
RUN_URL_LIST = $(subst $(comma), ,$(RUN_URLS))
# VCS stamping needs a git checkout owned by the current user; builds here never need the stamp.
export GOFLAGS := $(GOFLAGS) -buildvcs=false

.PHONY: run test generate check-generated fmt-check vet staticcheck unit workshop-check tools etcdctl bench clean help

help:
	@echo "make run             start $(NEWEST)'s server on $(ENDPOINTS)"
	@echo "                     (other ports: make run ENDPOINTS=URL,URL,URL; more flags: make run ARGS=--trace)"
	@echo "make test            everything CI runs: generated code, gofmt, vet, staticcheck, tests, workshop check"
	@echo "make generate        regenerate the .pb.go files from the .proto files"
	@echo "make workshop-check  prove each exercise alone: its tag stubs only its twin and fails exactly its tests"
	@echo "make etcdctl         build the real etcdctl v3.6 into .bin/etcdctl"
	@echo "make bench           load run against real etcd, chapter 02's Go benchmarks, then chapter 05's client against etcd's client/v3 (docs/benchmarks.md)"

run:
	@echo "Starting $(NEWEST): one member per URL of $(RUN_URLS). In another terminal:"
	@echo "  make etcdctl && export ETCDCTL_ENDPOINTS=$(RUN_URLS)"
	@echo "  .bin/etcdctl endpoint status -w table"
	@echo "  ETCDCTL_ENDPOINTS=$(or $(word 2,$(RUN_URL_LIST)),$(firstword $(RUN_URL_LIST))) .bin/etcdctl put foo bar"
	@echo "  ETCDCTL_ENDPOINTS=$(or $(word 3,$(RUN_URL_LIST)),$(lastword $(RUN_URL_LIST))) .bin/etcdctl get foo"
	$(GO) run etcdwalk/$(NEWEST)/cmd/server$(if $(RUN_ARGS_URLS),, --listen-client-urls $(ENDPOINTS)) $(ARGS)

test: check-generated fmt-check vet staticcheck unit workshop-check
	@echo "make test: all checks passed"

# The tools module is kept out of go.work (GOWORK=off) so that buf's and staticcheck's own
# dependencies never change the versions the chapters build with.
tools: $(TOOLS)
$(TOOLS) &: tools/go.mod tools/go.sum $(wildcard tools/workshopcheck/*.go)
	cd tools && GOWORK=off $(GO) build -o $(BIN)/ \
		github.com/bufbuild/buf/cmd/buf \
		google.golang.org/protobuf/cmd/protoc-gen-go \
		google.golang.org/grpc/cmd/protoc-gen-go-grpc \
		honnef.co/go/tools/cmd/staticcheck \
		./workshopcheck

generate: tools
	@for g in $(PROTO_GEN); do $(BIN)/buf generate --template $$g || exit 1; done

# Regenerate into a scratch directory and require byte-for-byte equality with what is committed.
check-generated: tools
	@tmp=$$(mktemp -d) && trap 'rm -rf $$tmp' EXIT && \
	for g in $(PROTO_GEN); do $(BIN)/buf generate -o $$tmp/out --template $$g || exit 1; done && \
	(cd $$tmp/out && find . -name '*.pb.go' | sort) > $$tmp/want && \
	(find ./chapters -name '*.pb.go' | sort) > $$tmp/have && \
	if ! diff -u $$tmp/have $$tmp/want; then echo "generated files differ (-committed +generated): run make generate"; exit 1; fi && \
	for f in $$(cat $$tmp/want); do \
		if ! diff -u $$f $$tmp/out/$$f; then echo "$$f is stale: run make generate and commit it"; exit 1; fi; \
	done
	@echo "generated code is fresh"

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# Without tags, then with each exercise's tag and each chapter's (workshopcheck -list-tags) on that
# chapter's packages, so that every twin keeps compiling, alone and with the rest of its chapter.
vet: tools
	$(GO) vet etcdwalk/...
	@for ch in chapters/*/; do for tag in $$($(BIN)/workshopcheck -list-tags $$ch); do \
		echo "$(GO) vet -tags $$tag etcdwalk/$${ch%/}/..."; $(GO) vet -tags $$tag etcdwalk/$${ch%/}/... || exit 1; \
	done; done

staticcheck: tools
	$(BIN)/staticcheck etcdwalk/...

unit:
	$(GO) test -race -count=1 -timeout 15m etcdwalk/...

workshop-check: tools
	$(BIN)/workshopcheck chapters/*/

etcdctl:
	cd interop && $(GO) build -o $(BIN)/etcdctl go.etcd.io/etcd/etcdctl/v3

# Not part of make test: numbers, not pass/fail. See docs/benchmarks.md.
bench:
	$(GO) run ./interop/loadrun $(ARGS)
	cd chapters/02-kvserver && $(GO) test -run XXX -bench . -benchtime 2s ./storage/...
	$(GO) run ./interop/loadrun -client-bench

clean:
	rm -rf $(BIN)
