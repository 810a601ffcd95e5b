"""nbgrader configuration for the course (read by ``nbgrader`` and by ``autograder``).

``course/`` is the source directory (one assignment per chapter folder); everything nbgrader
generates (release, submitted, autograded, feedback, gradebook) goes into the class folder
(``autograder.classfolder``: ``turma.json`` in the current folder, else ``AUTOGRADER_OUT``, else
``build/nbgrader`` at the repository root), outside the source tree and ignored by git.

Loaded by nbgrader itself (the formgrader, ``nbgrader generate_assignment``), it makes nbgrader's
own "Generate" refuse with a message: that release would lack what ``python -m autograder
release`` adds (quiz cells, release modes, the leak check), and it would overwrite the real one.
Set ``AUTOGRADER_DB_URL`` to use another gradebook, for example PostgreSQL:
``postgresql://usuario:senha@servidor/curso_rnn``.
"""

import os
import sys
import sysconfig
from pathlib import Path

from nbconvert.preprocessors import Preprocessor

from .classfolder import REPO, resolve  # noqa: F401  (REPO: imported from here elsewhere)

GENERATE_REFUSED = (  # shown at the end of a traceback in a narrow box: short lines
    "\nO \"Generate\" do nbgrader está desligado neste curso.\n"
    "Gere a versão do aluno com `python -m autograder release`\n"
    "(ou `make release`): a do nbgrader não teria o que o autograder\n"
    "acrescenta (perguntas, modos de liberação, verificação de vazamentos)\n"
    "e ficaria no lugar da verdadeira.")


class UseAutograderRelease(Preprocessor):
    """First preprocessor of nbgrader's GenerateAssignment where nbgrader loads this config."""

    def __init__(self, *args, **kwargs):  # nbgrader builds it before touching the release
        raise RuntimeError(GENERATE_REFUSED)


def with_scripts_on_path(path):
    """``path`` (a PATH value) with this Python's folder, then its scripts folder, in front.

    nbgrader runs ``alembic`` from PATH, and the kernel's ``python`` is found there; a venv keeps
    both in ``bin/`` (``Scripts\\`` on Windows, where conda keeps python.exe one level up)."""
    front = list(dict.fromkeys([os.path.dirname(sys.executable), sysconfig.get_path("scripts")]))
    rest = [p for p in (path or "").split(os.pathsep) if p and p not in front]
    return os.pathsep.join(front + rest)


def ensure_alembic_on_path():
    """nbgrader runs ``alembic`` from PATH: make the one beside this Python findable."""
    os.environ["PATH"] = with_scripts_on_path(os.environ.get("PATH", ""))


def configure(c, source_dir=None, out_dir=None, db_url=None, generate=None):
    """Fill the nbgrader traitlets config ``c``.

    Without ``out_dir`` (nbgrader's own config: formgrader, nbgrader commands) the class folder
    is found as every autograder command finds it, and nbgrader's own generate_assignment is
    refused (``generate=True`` allows it, as ``autograder.release`` does by passing out_dir).
    """
    folder, course, _ = resolve()
    out = Path(out_dir or folder).resolve()
    if not (generate if generate is not None else out_dir is not None):
        from nbgrader.converters import GenerateAssignment

        usual = GenerateAssignment.class_traits()["preprocessors"].default()
        c.GenerateAssignment.preprocessors = [UseAutograderRelease, *usual]
    out.mkdir(parents=True, exist_ok=True)  # nbgrader chdirs into its root
    c.CourseDirectory.course_id = "curso-rnn"
    c.CourseDirectory.root = str(out)
    c.CourseDirectory.source_directory = str(Path(source_dir or course).resolve())
    c.CourseDirectory.db_url = (db_url or os.environ.get("AUTOGRADER_DB_URL")
                                or f"sqlite:///{out / 'gradebook.db'}")
    c.ClearSolutions.code_stub = {"python": "# SEU CÓDIGO AQUI\nraise NotImplementedError()"}
    c.ClearSolutions.text_stub = "SUA RESPOSTA AQUI"
    c.Execute.timeout = 30
    c.ExecutePreprocessor.timeout = 30
    return c


if "get_config" in globals():  # loaded by nbgrader itself
    configure(get_config())  # noqa: F821
