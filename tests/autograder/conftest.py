import json
import tempfile
from pathlib import Path

import pytest

from autograder.release import release
from autograder.sandbox import Limits

HERE = Path(__file__).parent
COURSE = HERE / "sample" / "course"
CHAPTER = "01-amostra"
SOURCE = COURSE / CHAPTER / f"{CHAPTER}.ipynb"
# small limits keep the suite fast; generous enough for a 2-core machine under load
FAST_CACHE = Path(tempfile.mkdtemp(prefix="autograder-test-cache-"))
FAST = Limits(cell_timeout=6.0, notebook_timeout=60.0, memory_bytes=2 << 30, max_restarts=4)


@pytest.fixture(scope="session")
def cache_dir():
    return FAST_CACHE


@pytest.fixture(scope="session")
def released(tmp_path_factory):
    out = tmp_path_factory.mktemp("release")
    (path,) = release(COURSE, out, CHAPTER)
    return path


@pytest.fixture(scope="session")
def source_nb():
    return json.loads(SOURCE.read_text(encoding="utf-8"))
