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


# the security tests: planted attacks, the sandbox's own guarantees, the class on a JupyterHub
SECURITY_TESTS = ("tests/autograder/test_planted.py", "tests/autograder/test_forbid.py",
                  "tests/classroom/")


def pytest_terminal_summary(terminalreporter):
    """Say loudly how many security tests did not run (no bubblewrap, not root...): ``make
    test`` skips them where the machine lacks what they need; only ``.ci/run`` is strict."""
    skipped = [r for r in terminalreporter.stats.get("skipped", [])
               if r.nodeid.startswith(SECURITY_TESTS)]
    if not skipped:
        return
    reasons = sorted({str(r.longrepr[2]) if isinstance(r.longrepr, tuple) else str(r.longrepr)
                      for r in skipped})
    terminalreporter.write_sep("!", f"ATENÇÃO: {len(skipped)} testes de segurança NÃO rodaram",
                               red=True, bold=True)
    for reason in reasons[:5]:
        terminalreporter.write_line(f"  motivo: {reason}", red=True)
    terminalreporter.write_line("  a correção pode estar menos isolada do que os testes "
                                "garantem: veja autograder/README.md (Sem bubblewrap)", red=True)
