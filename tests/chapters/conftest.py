"""Fixtures for the chapter tests: the executed source notebook and a grading cache per module.

Helpers shared by the chapter tests live in ``common.py`` (import them with ``from .common``).
"""

import os
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from .common import source_path


def execute_notebook(path: Path, timeout: int = 600):
    """Run every cell (solutions included) in a fresh kernel; returns (executed nb, seconds).

    Cells run with the notebook's folder as working directory, the Agg matplotlib backend and
    one BLAS thread: the chapters' matrices are small, and OpenBLAS's threads, spinning while they
    wait, made a chapter several times slower on a shared 2-core machine (09: 190 s with the
    default threads, 24 s with one, both at load average ~5).
    """
    nb = nbformat.read(path, as_version=4)
    settings = {"MPLBACKEND": "Agg", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    env_backup = {k: os.environ.get(k) for k in settings}
    os.environ.update(settings)
    try:
        start = time.perf_counter()
        NotebookClient(nb, timeout=timeout, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
        return nb, time.perf_counter() - start
    finally:
        for k, v in env_backup.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.fixture(scope="module")
def executed(request):
    """Module-level fixture: set ``NOTEBOOK = "NN-slug"`` in the test module."""
    name = request.module.NOTEBOOK
    nb, seconds = execute_notebook(source_path(name))
    print(f"\n{name}: executado em {seconds:.1f} s")
    return nb, seconds


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    """Where the grader keeps the source notebook's reference run, shared by a module's tests."""
    return tmp_path_factory.mktemp("grade-cache")
