import atexit
import json
import shutil
import tempfile
from pathlib import Path

import pytest

from autograder.confine import Limits
from autograder.release import release

HERE = Path(__file__).parent
COURSE = HERE / "sample" / "course"
CHAPTER = "01-amostra"
SOURCE = COURSE / CHAPTER / f"{CHAPTER}.ipynb"
# small limits keep the suite fast; generous enough for a 2-core machine under load
FAST_CACHE = Path(tempfile.mkdtemp(prefix="autograder-test-cache-"))
atexit.register(shutil.rmtree, FAST_CACHE, True)
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


@pytest.fixture
def forced_isolation(monkeypatch):
    """``force(mode, same_uid=False)`` sets AUTOGRADER_ISOLATION (and AUTOGRADER_SAME_UID) for
    one test; the cached probes are dropped then and again at teardown, even if the test fails."""
    from autograder import confine as sandbox

    def clear():
        sandbox.isolation.cache_clear()
        sandbox.separate_uid.cache_clear()

    def force(mode, same_uid=False):
        monkeypatch.setenv("AUTOGRADER_ISOLATION", mode)
        if same_uid:
            monkeypatch.setenv("AUTOGRADER_SAME_UID", "1")
        clear()

    yield force
    monkeypatch.delenv("AUTOGRADER_ISOLATION", raising=False)
    monkeypatch.delenv("AUTOGRADER_SAME_UID", raising=False)
    clear()
