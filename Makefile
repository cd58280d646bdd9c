# The two set-up commands: `make run` (example app, UI on http://127.0.0.1:8000/) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PACKAGES := pyproject.toml $(wildcard plugins/*/pyproject.toml)

.PHONY: install run run-queue-example test lint bench clean gen-sdk browser

$(STAMP): $(PACKAGES)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=25.1"
	$(BIN)/python -m pip install --quiet -e plugins/daggo_sqlite -e plugins/daggo_postgres -e plugins/daggo_celery -e . --group dev
	touch $(STAMP)

# The TypeScript compiler the tests build the generated TypeScript client with, at the
# version clients/tooling's lock file pins; without npm the TypeScript client tests skip.
NODE_TOOLS := $(VENV)/node
TSC_STAMP := $(NODE_TOOLS)/.installed
$(TSC_STAMP): clients/tooling/package.json clients/tooling/package-lock.json | $(STAMP)
	@if command -v npm >/dev/null; then \
		mkdir -p $(NODE_TOOLS) && cp clients/tooling/package.json clients/tooling/package-lock.json $(NODE_TOOLS)/ \
		&& npm ci --prefix $(NODE_TOOLS) --ignore-scripts --no-audit --no-fund --loglevel=error \
		&& touch $(TSC_STAMP); \
	else echo "note: npm missing; the TypeScript client tests will skip"; fi

install: $(STAMP) $(TSC_STAMP)

# Regenerates the committed clients and docs/RPC.md's table of calls from the current spec
# (tests/test_sdk_clients.py fails while they differ).
gen-sdk: install
	$(BIN)/daggo sdk python --out clients/python
	$(BIN)/daggo sdk typescript --out clients/typescript
	$(BIN)/python -m daggo_core.sdk.examples docs/RPC.md

run: install
	cd examples/content_ingestion && ../../$(BIN)/daggo run

# The queue example (examples/queue_ingestion): a poll loader over a local inbox it seeds.
run-queue-example: install
	$(BIN)/python -m examples.queue_ingestion

# The PostgreSQL cases run against a server answering on 127.0.0.1:5432 (trust auth,
# database `test`), or the one DAGGO_TEST_POSTGRES_URL names; without either they skip.
LOCAL_POSTGRES := $(shell $(PYTHON) -c "import socket; s = socket.socket(); s.settimeout(0.3); \
	print('postgresql://postgres@127.0.0.1:5432/test' if s.connect_ex(('127.0.0.1', 5432)) == 0 else '')")
DAGGO_TEST_POSTGRES_URL ?= $(LOCAL_POSTGRES)
export DAGGO_TEST_POSTGRES_URL
# The brokers of the Celery executor's tests (plugins/daggo_celery/tests), when they answer.
answering = $(shell $(PYTHON) -c "import socket; s = socket.socket(); s.settimeout(0.3); \
	print('$(2)' if s.connect_ex(('127.0.0.1', $(1))) == 0 else '')")
DAGGO_TEST_REDIS_URL ?= $(call answering,6379,redis://127.0.0.1:6379/0)
DAGGO_TEST_RABBITMQ_URL ?= $(call answering,5672,amqp://guest:guest@127.0.0.1:5672//)
export DAGGO_TEST_REDIS_URL DAGGO_TEST_RABBITMQ_URL

# The browser the UI tests drive (tests/test_ui_pages.py): Debian's chromium; without it
# those tests skip.
browser:
	@command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium; } \
		|| echo "note: chromium missing; the browser tests will skip"

test: install browser
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache examples/content_ingestion/.daggo \
		examples/queue_ingestion/.daggo

# Benchmarks (docs/BENCHMARKS.md): `make bench` measures daggo on the shared workloads;
# `make bench-compare` runs Dagster and Prefect next to it (their venvs are built from the
# pinned lock files under benchmarks/.work/ on first use). BENCH_ARGS="-n 5 --workloads chain50"
.PHONY: bench bench-compare bench-launch bench-scheduler bench-backends bench-width bench-logs \
	bench-soak bench-rpc bench-ui bench-queues bench-assets bench-celery bench-tools
BENCH_ARGS ?= -n 3

bench-tools:
	@test -x /usr/bin/time || { apt-get update -qq && apt-get install -y -qq time; } \
		|| echo "note: /usr/bin/time missing; peak RSS falls back to wait4()"
	@command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; } \
		|| echo "note: wrk missing; bench-rpc skips its throughput row"

bench: install bench-tools
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)

bench-compare: install bench-tools
	$(BIN)/python benchmarks/run.py --compare $(BENCH_ARGS)

bench-launch: install
	$(BIN)/python benchmarks/launch_latency.py -n 20

bench-scheduler: install
	$(BIN)/python benchmarks/scheduler_lag.py -n 5

bench-backends: install
	$(BIN)/python benchmarks/runs_per_backend.py -n 5

bench-width: install
	$(BIN)/python benchmarks/width.py -n 3

bench-logs: install
	$(BIN)/python benchmarks/log_read.py -n 3

bench-soak: install
	$(BIN)/python benchmarks/soak.py --runs 500

bench-ui: install
	$(BIN)/python benchmarks/ui_speed.py -n 20

bench-rpc: install bench-tools
	$(BIN)/python benchmarks/rpc_speed.py -n 30

bench-queues: install bench-tools
	$(BIN)/python benchmarks/queue_speed.py

bench-assets: install
	$(BIN)/python benchmarks/asset_speed.py -n 20

bench-celery: install
	$(BIN)/python benchmarks/celery_scale.py --runs 1000 --workers 1,2,4 --repeat 3
