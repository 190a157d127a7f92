# Two commands on a fresh machine: `make demo` (install, run the sample corpus) and `make test`.
PYTHON ?= python3.11
VENV   ?= .venv
BIN     = $(VENV)/bin

.PHONY: install demo test clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -U pip

install: $(BIN)/python
	$(BIN)/pip install -q -e ".[dev]"
	tools/build_kenlm.sh $(BIN)                              # KenLM's lmplz and build_binary (in no wheel)

demo: install
	$(BIN)/roots run examples/sample.yaml --output runs/sample

test: install
	$(BIN)/python -m pytest -q

clean:
	rm -rf runs .pytest_cache
