"""One class folder for every instructor command and for nbgrader's formgrader.

``release``, ``grade``, ``feedback``, ``report``, ``export`` and the formgrader (``make
instrutor``) all work in the same folder: nbgrader's course root (``release/``, ``submitted/``,
``autograded/``, ``feedback/``, ``gradebook.db``) with the autograder's files beside them
(``results/``, ``grades.csv``, the report, the exports, ``turma.csv``). Which folder, in order:

1. ``--out DIR`` given to the command; it is then remembered in ``turma.json`` in the current
   folder, so the next command run here finds it without ``--out`` (the same for ``--course``);
2. ``turma.json`` in the current folder (the class config file: ``{"pasta": "...",
   "curso": "..."}``, paths relative to the file; ``AUTOGRADER_TURMA`` names another file);
3. ``AUTOGRADER_OUT`` (the JupyterHub classroom sets it for each instructor);
4. ``build/nbgrader`` in the project.
"""

import json
import os
from pathlib import Path

CONFIG_NAME = "turma.json"
REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO / "build" / "nbgrader"
DEFAULT_COURSE = REPO / "course"


def config_path(cwd=None):
    """The class config file: ``AUTOGRADER_TURMA``, else ``turma.json`` in ``cwd``."""
    if os.environ.get("AUTOGRADER_TURMA") and cwd is None:
        return Path(os.environ["AUTOGRADER_TURMA"]).resolve()
    return Path(cwd or os.getcwd()).resolve() / CONFIG_NAME


def _config(cwd=None):
    path = config_path(cwd)
    if not path.is_file():
        return path, {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ValueError(f"{path} não é um JSON válido: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path} deve ser um objeto JSON, como {{\"pasta\": \"build/turma\"}}")
    return path, data


def resolve(out=None, course=None, cwd=None):
    """(class folder, course folder, where the folder came from: a pt-BR phrase)."""
    path, data = _config(cwd)
    base = path.parent

    def pick(given, key, env, default):
        if given:
            return Path(given).resolve(), "dada na linha de comando"
        if data.get(key):
            return (base / data[key]).resolve(), f"de {path}"
        if env and os.environ.get(env):
            return Path(os.environ[env]).resolve(), f"de {env}"
        return default.resolve(), "padrão"

    folder, origin = pick(out, "pasta", "AUTOGRADER_OUT", DEFAULT_OUT)
    source, _ = pick(course, "curso", None, DEFAULT_COURSE)
    return folder, source, origin


def remember(out=None, course=None, cwd=None):
    """Write what was given (``--out``, ``--course``) into ``turma.json``; returns its path or
    None when nothing changed."""
    path, data = _config(cwd)
    new = dict(data)
    for key, value in (("pasta", out), ("curso", course)):
        if value:
            value = Path(value).resolve()
            inside = value.is_relative_to(path.parent)
            new[key] = str(value.relative_to(path.parent) if inside else value)
    if new == data:
        return None
    path.write_text(json.dumps(new, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return path
