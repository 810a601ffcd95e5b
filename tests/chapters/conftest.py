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

    Cells run with the notebook's folder as working directory and the Agg matplotlib backend.
    """
    nb = nbformat.read(path, as_version=4)
    env_backup = os.environ.get("MPLBACKEND")
    os.environ["MPLBACKEND"] = "Agg"
    try:
        start = time.perf_counter()
        NotebookClient(nb, timeout=timeout, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
        return nb, time.perf_counter() - start
    finally:
        if env_backup is None:
            os.environ.pop("MPLBACKEND", None)
        else:
            os.environ["MPLBACKEND"] = env_backup


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
