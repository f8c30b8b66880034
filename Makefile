# Two entry points (see README): `make demo` runs the main job on the shipped data, `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
# checkov pins boto3==1.35.49 and packaging<24 (pytest needs >=24): it gets a venv of its own inside .venv,
# so it never downgrades what the tests run with (docs/decisions.md, 72).
CHECKOV_VERSION := 3.3.30
CHECKOV := $(VENV)/tools/checkov-$(CHECKOV_VERSION)/bin/checkov

.PHONY: demo test lint typecheck unit bench clean

$(STAMP): pyproject.toml
	rm -f $(VENV)/.installed-*
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

$(CHECKOV): $(STAMP)
	$(PYTHON) -m venv $(VENV)/tools/checkov-$(CHECKOV_VERSION)
	$(VENV)/tools/checkov-$(CHECKOV_VERSION)/bin/pip install --quiet 'checkov==$(CHECKOV_VERSION)'

demo: $(STAMP)
	$(BIN)/cloudoptim spot rank --region eu-west-1 --vcpus 4 --memory-gib 16 --top 5
	$(BIN)/cloudoptim spot plan --region eu-west-1 --vcpus 4 --memory-gib 16 --nodes 20
	$(BIN)/cloudoptim consolidate --cluster tests/fixtures/cluster-small.json
	$(BIN)/cloudoptim rightsize --cpu-usage tests/fixtures/rightsize/cpu-usage.json \
		--memory-usage tests/fixtures/rightsize/memory-usage.json --workloads tests/fixtures/rightsize/workloads.json
	$(BIN)/cloudoptim local drill --events 40 --duplicates 0.1 --format json
	$(BIN)/cloudoptim local sweep --format json

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check engines ml functions layers cli localmode scripts cdk
	$(BIN)/lint-imports --no-cache

typecheck: $(STAMP)
	$(BIN)/mypy engines layers/cloudoptim ml functions cli localmode cdk scripts benchmarks tests

test: lint typecheck $(CHECKOV)
	CHECKOV=$(CHECKOV) $(BIN)/pytest tests
	$(BIN)/pytest --doctest-modules engines ml layers/cloudoptim cli localmode tests/fakes

bench: $(STAMP)
	$(BIN)/python benchmarks/spot_rank.py
	$(BIN)/python benchmarks/spot_backtest.py
	$(BIN)/python benchmarks/rightsizing.py
	$(BIN)/python benchmarks/consolidation.py

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
