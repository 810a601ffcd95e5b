import numpy as np
import pytest


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def require_tool(path_or_name, why):
    """Skip (fail under RNN_CURSO_STRICT=1, as in CI) when a system tool is missing.

    `make test` installs the tools (tools/sysdeps.sh) where it can; on a machine where it
    cannot, the tests that need them say what is missing instead of failing.
    """
    import os
    import shutil
    from pathlib import Path

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
