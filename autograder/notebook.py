"""Notebook structure: cell kinds, answer inspection and the rebuild of a graded notebook.

A student's notebook is never trusted: it is parsed as plain JSON, and only its answer cells
(matched by ``grade_id``) are put into a copy of the source notebook's cells.
"""

import ast
import json
import re

HIDDEN_BEGIN = "### BEGIN HIDDEN TESTS"
# what the release adds to test cells: quiz keys and explanations, the diagnostico() line
_CHAVE = re.compile(r",\s*(?:chave|explicacoes)\s*=\s*(['\"])[^'\"]*\1"
                    r"|^from autograder\.student import diagnostico; diagnostico\(.*\n", re.M)

# Ways to reach an object without writing its name (lookups by string, introspection, code
# built from strings, other interpreters). Any of them in an answer cell is "tampering".
TRICK_NAMES = {
    "getattr", "setattr", "delattr", "__import__", "exec", "eval", "compile", "globals",
    "locals", "vars", "get_ipython", "__builtins__", "breakpoint", "__loader__", "attrgetter",
    "methodcaller", "allow_pickle",
}
TRICK_ATTRS = {
    "modules", "__dict__", "__globals__", "__builtins__", "__getattribute__", "__code__",
    "__subclasses__", "_getframe", "input_transformers_post", "input_transformers_cleanup",
    "__closure__", "__wrapped__", "__reduce__", "__reduce_ex__", "f_globals", "f_locals",
    "f_builtins", "f_back", "tb_frame", "gi_frame", "cr_frame", "settrace", "setprofile",
    "meta_path", "path_hooks", "system", "popen", "execv", "execve", "execl", "execle",
    "execlp", "execvp", "execvpe", "spawnv", "spawnve", "spawnl", "spawnle", "spawnlp",
    "spawnvp", "posix_spawn", "posix_spawnp",
}
TRICK_MODULES = {
    "importlib", "builtins", "inspect", "gc", "ctypes", "cffi", "subprocess", "pty", "pickle",
    "marshal", "shelve", "dill", "cloudpickle", "runpy", "pkgutil", "zipimport", "pydoc", "code",
    "codeop", "timeit", "doctest", "pdb", "bdb", "trace", "cProfile", "profile", "unittest",
}
# magics that only time or configure plots: their code is checked like any other line
_SAFE_LINE_MAGIC = re.compile(r"^(\s*)%(?:time|timeit)((?:\s+-[a-z](?:\s*\d+)?)*)\s+(.*)$")
_SAFE_CELL_MAGIC = re.compile(r"^\s*%%(?:time|timeit|capture)\b[^\n]*\n?")
_PLOT_MAGIC = re.compile(r"(?m)^\s*%matplotlib\b.*$")


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
            declared = (cell.get("metadata") or {}).get("autograder") or {}
            info["forbid"] = list(declared.get("forbid", []))
            info["equivocos"] = list(declared.get("equivocos", []))  # typical mistakes
            info["explicacoes"] = dict(declared.get("explicacoes", {}))  # quiz explanations
        elif kind == "test":
            info["points"] = float(nbg.get("points") or 0)
            info["exercise"] = exercise
            info["visible"] = info["source"].split(HIDDEN_BEGIN)[0]
            info["quiz"] = "quiz(" in info["visible"]
            info["sem_esperado"] = dict(
                ((cell.get("metadata") or {}).get("autograder") or {}).get("sem_esperado", {}))
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


def _plain_code(source):
    """``source`` with the harmless timing/plot magics turned into plain code."""
    source = _PLOT_MAGIC.sub("", _SAFE_CELL_MAGIC.sub("", source, count=1))
    return "\n".join(_SAFE_LINE_MAGIC.sub(r"\1\3", line) for line in source.splitlines())


def _identifiers(source):
    """Names, attributes, imported modules, identifier-like strings and tricks in ``source``."""
    source = _plain_code(source)
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
        return words, words & (TRICK_NAMES | TRICK_ATTRS | TRICK_MODULES)
    names, attrs, modules, strings, keywords = set(), set(), set(), set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.Attribute):
            attrs.add(node.attr)
            if node.attr == "path" and isinstance(node.value, ast.Name) and node.value.id == "sys":
                keywords.add("sys.path")
        elif isinstance(node, ast.alias):
            names.add(node.name.split(".")[-1])
            modules.update(node.name.split("."))
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.update(node.module.split("."))
            if node.module == "sys" and any(a.name in ("path", "*") for a in node.names):
                keywords.add("sys.path")
        elif isinstance(node, ast.keyword) and node.arg:
            keywords.add(node.arg)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            strings.update(re.findall(r"\w+", node.value))
    tricks = (((names | attrs | keywords) & TRICK_NAMES) | (attrs & TRICK_ATTRS)
              | (modules & TRICK_MODULES) | (keywords & {"sys.path"}))
    return names | attrs | modules | strings, tricks


def answer_names(source):
    """(every name an answer cell mentions, the sorted dynamic-lookup tricks it uses)."""
    mentioned, tricks = _identifiers(source)
    return mentioned, sorted(tricks)


def forbidden_uses(cells, answers):
    """The per-exercise forbidden-name rule: ({exercise: why it earns nothing}, {cell: tricks}).

    The values an exercise's test cells record can only depend on the answer cells that ran
    before them: its own and the earlier ones (a later cell runs after those values left the
    sandbox). So exercise k earns nothing when a name in forbid(k) appears in answer cell k or
    in any earlier answer cell (a helper defined there may call the reference), or when one of
    those cells uses a dynamic-lookup trick (it could reach any name). A name forbidden only
    for an earlier exercise may be used freely in a later one.
    """
    disqualified, tricky, mentioned = {}, {}, []
    for c in cells:
        if c["kind"] != "answer":
            continue
        gid = c["grade_id"]
        names, tricks = answer_names(answers.get(gid, ""))
        mentioned.append((gid, names))
        if tricks:
            tricky[gid] = tricks
        forbid = set(c.get("forbid") or [])
        if not forbid:
            continue
        uses = [f"{', '.join(sorted(forbid & n))} (em {g})" for g, n in mentioned if forbid & n]
        if uses:
            disqualified[gid] = "usa " + "; ".join(uses)
        elif tricky:
            disqualified[gid] = "acesso dinâmico antes dos seus testes, em " + ", ".join(tricky)
    return disqualified, tricky


def titles(cells):
    """{answer grade_id: the heading above it, or for a quiz the question's first words}.

    Also {answer grade_id + "/texto": the markdown cell right above a quiz answer} (the question).
    """
    found, heading, last_text = {}, None, ""
    for c in cells:
        if c["kind"] == "text":
            last_text = c["source"].strip()
            for line in last_text.splitlines():
                if re.match(r"#{1,6}\s", line):
                    heading = re.sub(r"^#+\s*", "", line).strip()
        elif c["kind"] == "answer":
            quiz = re.match(r"\*\*(Pergunta[^*]*?)\.?\*\*", last_text)
            if quiz or re.search(r"(?m)^resposta_\w+\s*=", c["source"]):
                found[c["grade_id"]] = quiz.group(1) if quiz else (heading or c["grade_id"])
                found[c["grade_id"] + "/texto"] = last_text
            else:
                found[c["grade_id"]] = heading or c["grade_id"]
    return found
