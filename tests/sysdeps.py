"""System tools beyond pip that some tests need (bubblewrap, Chromium, the Hub's proxy).

Import it as ``from sysdeps import require_tool`` (pyproject puts tests/ on the path): the
name ``conftest`` would be ambiguous, since several test folders have one.
"""

import os
import shutil
from pathlib import Path

import pytest


def require_tool(path_or_name, why):
    """Skip (fail under RNN_CURSO_STRICT=1, as in CI) when a system tool is missing.

    `make test` installs the tools (tools/sysdeps.sh) where it can; on a machine where it
    cannot, the tests that need them say what is missing instead of failing.
    """
    if os.sep in str(path_or_name):
        found = str(path_or_name) if Path(path_or_name).exists() else None
    else:
        found = shutil.which(path_or_name)
    if found:
        return found
    message = f"{path_or_name} não encontrado ({why}); rode `make sysdeps`"
    if os.environ.get("RNN_CURSO_STRICT") == "1":
        pytest.fail(message)
    pytest.skip(message)
