"""Shared helpers for the chapter tests: execute a source notebook top to bottom."""

import os
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]
COURSE = ROOT / "course"


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


def outputs_text(nb) -> str:
    """All text outputs of an executed notebook, joined (to assert on printed figures)."""
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if "text" in out:
                parts.append(out["text"])
            elif "data" in out and "text/plain" in out["data"]:
                parts.append(out["data"]["text/plain"])
    return "\n".join(parts)


def count_images(nb) -> int:
    return sum(
        1 for c in nb.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})
    )


@pytest.fixture(scope="module")
def executed(request):
    """Module-level fixture: set ``NOTEBOOK = "NN-slug"`` in the test module."""
    name = request.module.NOTEBOOK
    return execute_notebook(COURSE / name / f"{name}.ipynb")
