"""Notebook structure: cell kinds, answer inspection and the rebuild of a graded notebook.

A student's notebook is never trusted: it is parsed as plain JSON, and only its answer cells
(matched by ``grade_id``) are put into a copy of the source notebook's cells.
"""

import ast
import json
import re

HIDDEN_BEGIN = "### BEGIN HIDDEN TESTS"
_CHAVE = re.compile(r",\s*chave\s*=\s*(['\"])[^'\"]*\1")

TRICK_NAMES = {
    "getattr", "setattr", "delattr", "__import__", "exec", "eval", "compile", "globals",
    "locals", "vars", "get_ipython", "__builtins__", "breakpoint",
}
TRICK_ATTRS = {
    "modules", "__dict__", "__globals__", "__builtins__", "__getattribute__", "__code__",
    "__subclasses__", "_getframe", "input_transformers_post", "input_transformers_cleanup",
}
TRICK_MODULES = {"importlib", "builtins", "inspect", "gc"}


class InvalidNotebook(Exception):
    """The submission is not a readable notebook."""


def source_text(cell):
    src = cell.get("source", "") if isinstance(cell, dict) else ""
    if isinstance(src, list):
        src = "".join(s for s in src if isinstance(s, str))
    return src if isinstance(src, str) else ""


def nbgrader_meta(cell):
    meta = cell.get("metadata") if isinstance(cell, dict) else None
    nbg = meta.get("nbgrader") if isinstance(meta, dict) else None
    return nbg if isinstance(nbg, dict) else {}


def cell_kind(cell):
    """'answer', 'test', 'demo', 'code' (setup) or 'text'."""
    if cell.get("cell_type") != "code":
        return "text"
    nbg = nbgrader_meta(cell)
    if nbg.get("solution"):
        return "answer"
    if nbg.get("grade"):
        return "test"
    tags = (cell.get("metadata") or {}).get("tags") or []
    return "demo" if "demo" in tags else "code"


def load_json_notebook(data):
    """Parse submission bytes; raise InvalidNotebook when it is not a v4 notebook."""
    try:
        nb = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidNotebook(f"JSON inválido: {exc}") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise InvalidNotebook("não é um caderno Jupyter (sem lista de células)")
    return nb


def layout(source_nb):
    """Describe the source notebook's cells, each test cell tied to its exercise."""
    cells, exercise = [], None
    for index, cell in enumerate(source_nb["cells"]):
        kind = cell_kind(cell)
        nbg = nbgrader_meta(cell)
        info = {"index": index, "kind": kind, "grade_id": nbg.get("grade_id"),
                "source": source_text(cell)}
        if kind == "answer":
            exercise = info["grade_id"]
            forbid = ((cell.get("metadata") or {}).get("autograder") or {}).get("forbid", [])
            info["forbid"] = list(forbid)
        elif kind == "test":
            info["points"] = float(nbg.get("points") or 0)
            info["exercise"] = exercise
            info["visible"] = info["source"].split(HIDDEN_BEGIN)[0]
            info["quiz"] = "quiz(" in info["visible"]
        cells.append(info)
    return cells


def visible_check_names(visible_source):
    return set(re.findall(r"check\(\s*['\"](\w+)['\"]", visible_source))


def rebuild(cells, student_nb):
    """Cells to run: the source's, with the student's answer cells in place.

    Returns (cells to run, answers {grade_id: source}, reasons, notes).
    """
    answers, reasons, notes, seen = {}, [], [], set()
    source_ids = {c["grade_id"]: c for c in cells if c["grade_id"]}
    for cell in student_nb["cells"]:
        if not isinstance(cell, dict):
            continue
        gid = nbgrader_meta(cell).get("grade_id")
        if not isinstance(gid, str):
            continue
        if gid in seen:
            if "duplicated cells" not in reasons:
                reasons.append("duplicated cells")
            continue
        seen.add(gid)
        src = source_ids.get(gid)
        if src is None:
            if gid is not None and nbgrader_meta(cell).get("grade"):
                notes.append(f"célula adicionada ignorada: {gid}")
            continue
        if src["kind"] == "answer":
            answers[gid] = source_text(cell)
        elif src["kind"] == "test":
            mine = _CHAVE.sub("", source_text(cell)).strip()
            if mine not in (src["visible"].strip(), src["source"].strip()):
                notes.append(f"célula de teste alterada (usada a original): {gid}")
    for c in cells:
        if c["kind"] == "answer" and c["grade_id"] not in answers:
            answers[c["grade_id"]] = ""
            if "missing cells" not in reasons:
                reasons.append("missing cells")
            notes.append(f"célula de resposta ausente: {c['grade_id']}")
        elif c["kind"] == "test" and c["grade_id"] not in seen:
            notes.append(f"célula de teste ausente (restaurada): {c['grade_id']}")
    return runnable(cells, answers), answers, reasons, notes


def runnable(cells, answers):
    """The cells a graded run executes (no text, no demos), answers taken from ``answers``."""
    run = []
    for c in cells:
        if c["kind"] in ("code", "answer", "test"):
            src = answers[c["grade_id"]] if c["kind"] == "answer" else c["source"]
            run.append({"index": c["index"], "source": src, "kind": c["kind"]})
    return run


def _identifiers(source):
    """Names, attributes, imported modules and identifier-like strings in ``source``."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        source = TransformerManager().transform_cell(source)
    except Exception:
        pass
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        code = "\n".join(line.split("#")[0] for line in source.splitlines())
        words = set(re.findall(r"\w+", code))
        return words, set(), words, set()
    names, attrs, modules, strings = set(), set(), set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.Attribute):
            attrs.add(node.attr)
        elif isinstance(node, ast.alias):
            names.add(node.name.split(".")[-1])
            modules.update(node.name.split("."))
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.update(node.module.split("."))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            strings.update(re.findall(r"\w+", node.value))
    return names | attrs, attrs, modules, strings


def inspect_answer(source, forbid):
    """Return (forbidden names used, dynamic tricks used) in an answer cell's source."""
    words, attrs, modules, strings = _identifiers(source)
    used = set(forbid) & (words | modules | strings)
    tricks = (words & TRICK_NAMES) | (attrs & TRICK_ATTRS) | (modules & TRICK_MODULES)
    return sorted(used), sorted(tricks)
