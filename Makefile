# Two commands do everything on a fresh machine with Python 3.11 and pip:
#   make curso   -> creates .venv if missing, installs the learner's packages (no torch, no test
#                   tools), builds the student release, opens JupyterLab on it
#   make test    -> creates .venv if missing, installs every extra, runs the whole test suite
# and, for instructors: make instrutor (JupyterLab with the formgrader), make site (static site).
# Without make (Windows): README, "Sem make".
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
SYSDEPS := $(VENV)/.sysdeps
# pyproject.toml's extras each target installs on top of the learner's packages
EXTRAS_aluno :=
EXTRAS_torch := [torch]
EXTRAS_instrutor := [instrutor,torch]
EXTRAS_site := [site,torch]
EXTRAS_teste := [test,torch,instrutor,site]

.PHONY: curso instrutor site test lint bench release clean sysdeps torch

$(PY):
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 não encontrado (defina PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

# One stamp per set of extras, redone when pyproject.toml changes.
$(VENV)/.installed-%: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e '.$(EXTRAS_$*)'
	touch $@

# Tools beyond pip that only the tests need (bubblewrap, Chromium, the Hub's proxy): installed
# where possible, otherwise the tests that need them skip and say why.
$(SYSDEPS): tools/sysdeps.sh $(wildcard package-lock.json) | $(VENV)/.installed-teste
	bash tools/sysdeps.sh
	touch $(SYSDEPS)

sysdeps: $(SYSDEPS)

# The instructor's release, in build/nbgrader/release/ (the learner's copy is made by `curso`).
release: $(VENV)/.installed-aluno
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PY) -m autograder release --mode class

# Learner: pt-BR JupyterLab on build/release/ (new chapters only; your work is kept).
curso: $(VENV)/.installed-aluno
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PY) -m autograder.lab aluno

# Instructor: JupyterLab on the project folder with the formgrader and create-assignment tools.
instrutor: $(VENV)/.installed-instrutor
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PY) -m autograder.lab instrutor

# Static site of the course (no solutions), offline, in build/site/.
site: $(VENV)/.installed-site
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PY) -m autograder.website

test: $(VENV)/.installed-teste $(SYSDEPS)
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PY) -m pytest -n 2 --dist loadgroup -q

lint: $(VENV)/.installed-teste
	$(VENV)/bin/ruff check .

bench: $(VENV)/.installed-torch
	$(PY) bench/bench_rnn.py

# torch for the learner (chapters 05, 06 and 10): the CPU-only build, much smaller than the
# CUDA build that PyPI gives on Linux. With an NVIDIA GPU: README, "PyTorch".
torch: $(VENV)/.installed-aluno
	$(PY) -m pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu

clean:
	rm -rf build .pytest_cache
