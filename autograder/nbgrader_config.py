"""nbgrader configuration for the course (read by ``nbgrader`` and by ``autograder``).

``course/`` is the source directory (one assignment per chapter folder); everything nbgrader
generates (release, submitted, autograded, feedback, gradebook) goes under ``AUTOGRADER_OUT``
(default ``build/nbgrader`` at the repository root), outside the source tree and ignored by git.
Set ``AUTOGRADER_DB_URL`` to use another gradebook, for example PostgreSQL:
``postgresql://usuario:senha@servidor/curso_rnn``.
"""

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUT = Path(os.environ.get("AUTOGRADER_OUT", REPO / "build" / "nbgrader")).resolve()


def ensure_alembic_on_path():
    """nbgrader runs ``alembic`` from PATH: make the one beside this Python findable."""
    bindir = os.path.dirname(sys.executable)
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")


def configure(c, source_dir=None, out_dir=None, db_url=None):
    """Fill the nbgrader traitlets config ``c``."""
    out = Path(out_dir or OUT).resolve()
    out.mkdir(parents=True, exist_ok=True)  # nbgrader chdirs into its root
    c.CourseDirectory.course_id = "curso-rnn"
    c.CourseDirectory.root = str(out)
    c.CourseDirectory.source_directory = str(Path(source_dir or REPO / "course").resolve())
    c.CourseDirectory.db_url = (db_url or os.environ.get("AUTOGRADER_DB_URL")
                                or f"sqlite:///{out / 'gradebook.db'}")
    c.ClearSolutions.code_stub = {"python": "# SEU CÓDIGO AQUI\nraise NotImplementedError()"}
    c.ClearSolutions.text_stub = "SUA RESPOSTA AQUI"
    c.Execute.timeout = 30
    c.ExecutePreprocessor.timeout = 30
    return c


if "get_config" in globals():  # loaded by nbgrader itself
    configure(get_config())  # noqa: F821
