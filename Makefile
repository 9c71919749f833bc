# etcdwalk: `make run` starts the newest chapter's server, `make test` checks everything CI checks.
# Tools are pinned in tools/go.mod (`tool` directives) and built into .bin/.

NEWEST  := chapters/06-server
GO      ?= go
BIN     := $(CURDIR)/.bin
TOOLS   := $(BIN)/buf $(BIN)/protoc-gen-go $(BIN)/protoc-gen-go-grpc $(BIN)/staticcheck $(BIN)/workshopcheck
# One buf invocation per chapter that owns .proto files: its template, then its --path flags.
PROTO_GEN := \
	"chapters/01-rpc/buf.gen.yaml --path chapters/01-rpc/api/etcdserverpb --path chapters/01-rpc/api/mvccpb" \
	"chapters/03-propose-wait/buf.gen.yaml --path chapters/03-propose-wait/api/etcdserverpb"
# `make run`: one etcdwalk process per member, started by RUN_SCRIPT with etcd's flags. ENDPOINTS
# are the client URLs of infra1, infra2 and infra3; each member's peer URL is its client URL with
# the port plus one (2380, 22380, 32380). Each member keeps its data in RUN_DIR/infra1.etcd and so
# on, so that the next `make run` restarts from it; `make run-clean` removes it.
ENDPOINTS  ?= http://127.0.0.1:2379,http://127.0.0.1:22379,http://127.0.0.1:32379
RUN_DIR    ?= .run
RUN_SCRIPT := chapters/06-server/run-cluster.sh
comma := ,
RUN_URL_LIST = $(subst $(comma), ,$(ENDPOINTS))
# VCS stamping needs a git checkout owned by the current user; builds here never need the stamp.
export GOFLAGS := $(GOFLAGS) -buildvcs=false

.PHONY: run run-clean test generate check-generated fmt-check vet staticcheck unit workshop-check tools etcdctl bench clean help

help:
	@echo "make run             start $(NEWEST)'s etcdwalk as three processes, infra1 to infra3, on $(ENDPOINTS)"
	@echo "                     (peers: each client port plus one); data kept in $(RUN_DIR)/ for the next make run"
	@echo "                     (other ports: make run ENDPOINTS=URL,URL,URL; etcd flags for every member: make run ARGS=--log-level=debug)"
	@echo "make run-clean       remove $(RUN_DIR)/, the data of make run's members: the next make run starts a new cluster"
	@echo "make test            everything CI runs: generated code, gofmt, vet, staticcheck, tests, workshop check"
	@echo "make generate        regenerate the .pb.go files from the .proto files"
	@echo "make workshop-check  prove each exercise alone: its tag stubs only its twin and fails exactly its tests"
	@echo "make etcdctl         build the real etcdctl v3.6 into .bin/etcdctl"
	@echo "make bench           load runs against real etcd (chapter 02, then chapter 06's three processes), chapter 02's Go benchmarks, chapter 05's client against etcd's client/v3 (docs/benchmarks.md)"

run:
	$(GO) build -o $(BIN)/etcdwalk etcdwalk/$(NEWEST)/cmd/etcdwalk
	@echo "Starting $(NEWEST): infra1, infra2 and infra3, one etcdwalk process each, on $(ENDPOINTS)"
	@echo "(data in $(RUN_DIR)/, kept for the next make run; Ctrl-C stops all three). In another terminal:"
	@echo "  make etcdctl && export ETCDCTL_ENDPOINTS=$(ENDPOINTS)"
	@echo "  .bin/etcdctl endpoint status -w table"
	@echo "  .bin/etcdctl member list -w table"
	@echo "  ETCDCTL_ENDPOINTS=$(word 2,$(RUN_URL_LIST)) .bin/etcdctl put foo bar"
	@echo "  ETCDCTL_ENDPOINTS=$(word 3,$(RUN_URL_LIST)) .bin/etcdctl get foo"
	@BIN='$(BIN)/etcdwalk' RUN_DIR='$(RUN_DIR)' ENDPOINTS='$(ENDPOINTS)' exec $(RUN_SCRIPT) $(ARGS)

# Refuses while a member of make run still runs: its data would go from under it.
run-clean:
	@for f in $(RUN_DIR)/*.pid; do \
		if [ -f "$$f" ] && kill -0 "$$(cat "$$f")" 2>/dev/null; then \
			echo "$$f: pid $$(cat "$$f") still runs: stop make run first (Ctrl-C)"; exit 1; \
		fi; \
	done
	rm -rf $(RUN_DIR)

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
	cd tools && GOWORK=off $(GO) test -count=1 ./workshopcheck/

workshop-check: tools
	$(BIN)/workshopcheck chapters/*/

etcdctl:
	cd interop && $(GO) build -o $(BIN)/etcdctl go.etcd.io/etcd/etcdctl/v3

# Not part of make test: numbers, not pass/fail. See docs/benchmarks.md.
bench:
	$(GO) run ./interop/loadrun $(ARGS)
	$(GO) run ./interop/loadrun -chapter 06
	cd chapters/02-kvserver && $(GO) test -run XXX -bench . -benchtime 2s ./storage/...
	$(GO) run ./interop/loadrun -client-bench

clean:
	rm -rf $(BIN)
