# Two commands do everything on a fresh machine with Python 3.11 and pip:
#   make curso   -> creates .venv if missing, builds the student release, opens JupyterLab on it
#   make test    -> creates .venv if missing, runs the whole test suite
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
SYSDEPS := $(VENV)/.sysdeps
RELEASE := build/release
# JupyterLab refuses to run as root without this flag.
ROOT_FLAG := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)

.PHONY: curso instrutor test lint bench release clean sysdeps

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 não encontrado (defina PYTHON=...)"; exit 1; }
	[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

# Tools beyond pip that only the tests need (bubblewrap, Chromium, the Hub's proxy): installed
# where possible, otherwise the tests that need them skip and say why.
$(SYSDEPS): tools/sysdeps.sh $(wildcard package-lock.json) | $(STAMP)
	bash tools/sysdeps.sh
	touch $(SYSDEPS)

sysdeps: $(SYSDEPS)

release: $(STAMP)
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PY) -m autograder release --out $(RELEASE)

curso: release
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/jupyter lab $(ROOT_FLAG) --notebook-dir=$(RELEASE)

test: $(STAMP) $(SYSDEPS)
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PY) -m pytest -n 2 -q

lint: $(STAMP)
	$(VENV)/bin/ruff check .

bench: $(STAMP)
	$(PY) bench/bench_rnn.py

clean:
	rm -rf build .pytest_cache
