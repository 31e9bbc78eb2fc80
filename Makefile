# Local development and CI entry points. `make help` lists the targets.

GO ?= go
SEATSYNC = $(GO) run ./cmd/seatsync

# Local-development defaults for `make run` and `make demo`, exported only when
# not already set. The demo secret is fixed so both targets (and the compose
# file) agree on it; it protects nothing but a laptop.
run demo: export SEATSYNC_OPS_TOKEN ?= local-dev-ops-token
run demo: export SEATSYNC_SOURCE_DEMO_KIND ?= standard
run demo: export SEATSYNC_SOURCE_DEMO_SECRETS ?= whsec_mANtUpDGtvie+p/uWsP/YKWBIpejf9Ri

.DEFAULT_GOAL := help
STATICCHECK = $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: help services run demo test lint bench perf perf-engine perf-delivery scaleout build fmt

help: ## list the targets
	@awk 'BEGIN { FS = ":.*## " } /^[a-z-]+:.*## / { printf "  make %-9s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)

services: ## start local PostgreSQL and Redis unless they already answer
	@.ci/services

run: services ## run receiver, API, worker and dashboard in one process (seatsync all)
	$(SEATSYNC) all

demo: ## send two demo events to a running `make run`
	$(SEATSYNC) send --source demo --type customer.upserted \
		--data '{"external_id":"acme","name":"Acme Inc.","email":"billing@acme.test"}'
	$(SEATSYNC) send --source demo --type user.upserted \
		--data '{"customer_external_id":"acme","external_id":"u_42","email":"jane@acme.test","name":"Jane Doe","groups":["engineering"]}'
	@echo
	@echo "Read them back with an API key:"
	@echo "  $(SEATSYNC) apikey create --name me"
	@echo "  curl -H 'Authorization: Bearer <key>' http://127.0.0.1:8080/v1/customers/acme"
	@echo "  curl -H 'Authorization: Bearer <key>' http://127.0.0.1:8080/v1/customers/acme/users/u_42"
	@echo "Queues: http://localhost:8080/ops/queues (any user name; the password is SEATSYNC_OPS_TOKEN, local-dev-ops-token by default)"

# Four packages at once on two cores: the suite mostly waits on Postgres,
# Redis and child processes (-p 2 left the CPU a third idle, ~3 m 15 s;
# -p 4 ~2 m 25 s on the 2-core development machine).
test: services lint ## go vet and staticcheck, then the whole suite with the race detector
	$(GO) test -race -count=1 -p 4 ./...

# -trimpath keeps the build and analysis caches independent of where the
# checkout lives, so a fresh clone (CI's) reuses what an earlier build of
# the same code compiled (vet, staticcheck and the race-built tests: about
# 90 s of a fresh clone's 2-core CPU time otherwise).
test lint: export GOFLAGS += -trimpath

lint: ## go vet and staticcheck
	$(GO) vet ./...
	$(STATICCHECK) ./...

bench: services ## run the benchmarks
	$(GO) test -run '^$$' -bench . -benchtime 2s ./...

perf: ## load a local receiver; events/s beside pgbench, the receive floor and raw asynq; apply latency; then perf-delivery
	@.ci/perf

perf-engine: ## the seat engine at 100, 10k and 50k seats for one customer, a 10k-user import, apply rate beside pgbench
	@.ci/perf-engine

scaleout: ## two receivers, two workers, Redis Sentinel: kill the Redis master under load, check nothing is lost
	@.ci/scaleout

perf-delivery: ## outbound delivery: one sink, 50-endpoint fan-out, one hanging endpoint, beside asynq's no-op drain
	@.ci/perf-delivery

build: ## build bin/seatsync
	$(GO) build -o bin/seatsync ./cmd/seatsync

fmt: ## gofmt every package
	$(GO) fmt ./...
