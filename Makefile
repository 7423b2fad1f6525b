# The two commands a new user needs: `make site` builds the handbook, `make test` runs the tests.
# Each creates .venv and installs the pinned dependencies on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: site test validate serve bench clean

site: $(STAMP)
	$(BIN)/handbook build

validate: $(STAMP)
	$(BIN)/handbook validate

serve: $(STAMP)
	$(BIN)/handbook serve

# The suite starts the CLI in further Python processes (signals, kill -9, serve, the installed
# wheel): each would compile the package from source again where PYTHONDONTWRITEBYTECODE is set.
# pytest keeps its temporary files in RAM where the machine has a tmpfs to spare (scripts/test-tmpdir).
test: export PYTHONDONTWRITEBYTECODE :=
test: $(STAMP)
	./scripts/ensure-browser
	$(BIN)/python -m ruff check generator tests benchmarks scripts
	$(BIN)/python -m ruff format --check generator tests benchmarks scripts
	$(BIN)/python -m mypy
	TMPDIR="$$(./scripts/test-tmpdir)" $(BIN)/python -m pytest -n 2

$(STAMP): pyproject.toml constraints.txt
	rm -rf handbook.egg-info  # left by the setuptools backend this project used before flit_core
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[test]'
	touch $@

BENCH_STAMP := $(VENV)/.bench-installed

bench: $(STAMP) $(BENCH_STAMP)
	$(BIN)/python -m benchmarks.run

$(BENCH_STAMP): pyproject.toml constraints.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[test,bench]'
	touch $@

clean:
	rm -rf $(VENV) site .handbook-build
