# schedgym: `make demo` runs the main job, `make test` the checks and tests.
# Everything runs from the project's own virtualenv (.venv), created on first use.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# torch on a shared 2-core machine: one thread per process (see docs/design.md, known pitfalls).
export OMP_NUM_THREADS := 1

.PHONY: venv test lint format demo clean docs wheel-check

venv: $(STAMP)

# Reinstall only when pyproject.toml changes. torch comes first, pinned to the CPU build that
# lies on local disk, so that no dependency pulls a multi-GB CUDA build.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install torch==2.13.0
	$(BIN)/python -m pip install -e ".[agents,dev,ray,docs]"
	touch $(STAMP)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/pytest -q -n 2

format: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

demo: venv
	$(BIN)/python -m schedgym.experiments.demo

# The documentation site (mkdocs.yml, docs/) into site/, warnings as errors (the venv carries the
# docs extra; tests/test_docs.py runs the same build in make test).
docs: venv
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

# Build the sdist and wheel, install the wheel into a new virtualenv and use it outside the checkout.
wheel-check: venv
	.ci/check_wheel

# Install the benchmark peers (the bench extra) into a new virtualenv; check pip and the agents.
bench-check:
	.ci/check_bench

clean:
	rm -rf demo_out build dist .pytest_cache .mypy_cache .ruff_cache
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +
