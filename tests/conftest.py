import atexit
import os
import shutil
import tempfile

import numpy as np
import pytest


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


# The instructor commands remember the class folder in a class config file (turma.json in the
# current folder); commands run by tests must not leave one in the project.
# Each test gets its own (not yet written) file.
_TURMA = tempfile.mkdtemp(prefix="turma-")
atexit.register(shutil.rmtree, _TURMA, True)
os.environ.setdefault("AUTOGRADER_TURMA", os.path.join(_TURMA, "sessao.json"))


@pytest.fixture(autouse=True)
def _class_config_file(monkeypatch, request):
    name = "".join(ch if ch.isalnum() else "_" for ch in request.node.nodeid)[-120:]
    monkeypatch.setenv("AUTOGRADER_TURMA", os.path.join(_TURMA, f"{name}.json"))
