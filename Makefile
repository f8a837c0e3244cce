# Quick start (see README):  make reports   |   make test
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
OUT    ?= reports

.PHONY: setup reports test test-fast lint bench data clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "vaernes-planning needs Python 3.11 or newer; set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (vaernes-planning)" >/dev/null
	@touch $(STAMP)

setup: $(STAMP)

## main job: render one HTML report per shipped scenario, plus reports/index.html
reports: $(STAMP)
	$(BIN)/planning data verify
	$(BIN)/planning report --all --out $(OUT)

## the whole test suite (installs Debian's chromium for the browser tests if it is missing)
test: $(STAMP)
	-bash scripts/install-browser.sh
	$(BIN)/ruff check planning tests bench
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -n 2 --dist loadgroup -q

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check planning tests bench
	$(BIN)/ruff format --check .

bench: $(STAMP)
	for f in bench/bench_*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

## rebuild data/ from the raw sources (development tree only)
data: $(STAMP)
	$(BIN)/planning data build --source ../shared/data

clean:
	rm -rf $(VENV) $(OUT) results .pytest_cache .ruff_cache
