GO    ?= go
BIN   := bin/geomys
ARGS  ?=

.PHONY: all build run test unit deps bench bench-raft-log bench-uhaha fuzz soak vet fmt clean

all: build

build:
	$(GO) build -o $(BIN) .

## run: one node on 127.0.0.1:6379 with data in ./data (override with ARGS="--port 7000 ...")
run: build
	./$(BIN) $(ARGS)

## test: the whole suite — what CI runs. Installs redis-tools/redis-server when missing.
test: deps build vet
	$(GO) test -count=1 -timeout 25m ./...

## unit: only the packages' unit tests, with the race detector
unit:
	$(GO) test -race -count=1 ./commands/ ./aof/ ./fsm/ ./server/ ./cluster/

deps:
	@scripts/ensure-deps.sh

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { echo "gofmt needed:"; gofmt -l .; exit 1; }

## soak: the cluster fault tests, each fault loop repeated for SOAK (default 5m)
SOAK ?= 5m
soak: deps build
	GEOMYS_SOAK=$(SOAK) $(GO) test -count=1 -timeout 3h -run 'TestFault' -v ./test/ | grep -E '^(=== RUN|--- |FAULT-METRIC|ok|FAIL|PASS)|FAULT-METRIC'

## bench: Geomys vs redis-server side by side (see scripts/bench.sh)
bench: deps build
	scripts/bench.sh

## bench-uhaha: SET against the same-stack peer (uhaha, one node and three; scripts/build-uhaha.sh) and one client alone
bench-uhaha: deps build
	TESTS=set ROUNDS=$${ROUNDS:-5} N=$${N:-100000} scripts/bench.sh

## bench-raft-log: --raft-log wal vs bolt, one node and three, with redis-server appendfsync always
bench-raft-log: deps build
	RAFT_LOG=1 ROUNDS=$${ROUNDS:-3} scripts/bench.sh

## fuzz: run the connection-level fuzzer for FUZZTIME (default 60s)
FUZZTIME ?= 60s
fuzz:
	$(GO) test ./resp/ -run '^$$' -fuzz FuzzGuard -fuzztime $(FUZZTIME)

clean:
	rm -rf bin
