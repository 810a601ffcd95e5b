# Two commands do everything on a fresh machine with Python 3.11 and pip:
#   make curso   -> creates .venv if missing, builds the student release, opens JupyterLab on it
#   make test    -> creates .venv if missing, runs the whole test suite
# and, for instructors: make instrutor (JupyterLab with the formgrader), make site (static site)
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
SYSDEPS := $(VENV)/.sysdeps

.PHONY: curso instrutor site test lint bench release clean sysdeps

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

# The instructor's release, in build/nbgrader/release/ (the learner's copy is made by `curso`).
release: $(STAMP)
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PY) -m autograder release

# Learner: pt-BR JupyterLab on build/release/ (new chapters only; your work is kept).
curso: $(STAMP)
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PY) -m autograder.lab aluno

# Instructor: JupyterLab on the project folder with the formgrader and create-assignment tools.
instrutor: $(STAMP)
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PY) -m autograder.lab instrutor

# Static site of the course (no solutions), offline, in build/site/.
site: $(STAMP)
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PY) -m autograder.website

test: $(STAMP) $(SYSDEPS)
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PY) -m pytest -n 2 -q

lint: $(STAMP)
	$(VENV)/bin/ruff check .

bench: $(STAMP)
	$(PY) bench/bench_rnn.py

clean:
	rm -rf build .pytest_cache
