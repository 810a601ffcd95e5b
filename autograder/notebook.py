"""Notebook structure: cell kinds, answer inspection and the rebuild of a graded notebook.

A student's notebook is never trusted: it is parsed as plain JSON, and only its answer cells
(matched by ``grade_id``) are put into a copy of the source notebook's cells.
"""

import ast
import json
import re

from .forbid import effective_forbid

HIDDEN_BEGIN = "### BEGIN HIDDEN TESTS"
SOLUTION_BEGIN = "### BEGIN SOLUTION"
DATA_TAG = "autograder-dados"  # the release's collapsed data cell (release.inject_diagnostics)
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
    "spawnvp", "posix_spawn", "posix_spawnp", "__defaults__", "__kwdefaults__", "__self__",
    "__func__", "get_field", "get_type_hints", "BaseConfigurator", "DictConfigurator",
    "f_code", "co_consts", "__main__",
}
TRICK_MODULES = {
    "importlib", "builtins", "inspect", "gc", "ctypes", "cffi", "subprocess", "pty", "pickle",
    "marshal", "shelve", "dill", "cloudpickle", "runpy", "pkgutil", "zipimport", "pydoc", "code",
    "codeop", "timeit", "doctest", "pdb", "bdb", "trace", "cProfile", "profile", "unittest",
    "__main__", "threading", "_thread", "multiprocessing", "signal", "faulthandler", "IPython",
}
# attribute words that, inside a string, name an introspection path ("{0.__globals__}")
_TRICK_IN_STRINGS = {a for a in TRICK_ATTRS if a.startswith(("__", "f_", "tb_", "gi_", "cr_"))}
MAX_ANALYSED_CHARS = 200_000  # bigger answer cells are not read: flagged instead
# magics that only time or configure plots: their code is checked like any other line
_OPTIONS = r"((?:\s+-[a-z](?:\s*\d+)?)*)"
_SAFE_LINE_MAGIC = re.compile(r"^(\s*)%(?:timeit|time)\b" + _OPTIONS + r"\s+(.*)$")
_SAFE_CELL_MAGIC = re.compile(r"^\s*%%(?:timeit|time|capture)\b" + _OPTIONS + r"[ \t]*([^\n]*)\n?")
_PLOT_MAGIC = re.compile(r"(?m)^\s*%matplotlib\b.*$")
# any other IPython escape: a line magic, a cell magic, a shell command (also as ``x = !ls``)
_ESCAPE = re.compile(r"^(\s*)(?:[\w.,\s\[\]()*]+=\s*)?(?:!|%|\?\?|\?)")


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
        raise InvalidNotebook(f"JSON inválido: {str(exc)[:200]}") from None
    except RecursionError:
        raise InvalidNotebook("JSON inválido: aninhamento profundo demais") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise InvalidNotebook("não é um caderno Jupyter (sem lista de células)")
    return nb


def layout(source_nb):
    """Describe the source notebook's cells, each test cell tied to its exercise."""
    cells, exercise, forbids = [], None, {}
    for index, cell in enumerate(source_nb["cells"]):
        kind = cell_kind(cell)
        nbg = nbgrader_meta(cell)
        info = {"index": index, "kind": kind, "grade_id": nbg.get("grade_id"),
                "source": source_text(cell)}
        if kind == "answer":
            exercise = info["grade_id"]
            declared = (cell.get("metadata") or {}).get("autograder") or {}
            forbid = declared.get("forbid", [])
            forbid = forbid if isinstance(forbid, list) else []
            if SOLUTION_BEGIN in info["source"]:  # the source: libraries join the list here
                forbid = effective_forbid(forbid, info["source"])
            info["forbid"] = [n for n in forbid if isinstance(n, str)]
            forbids[exercise] = info["forbid"]
            info["equivocos"] = list(declared.get("equivocos", []))  # typical mistakes
            info["explicacoes"] = dict(declared.get("explicacoes", {}))  # quiz explanations
        elif kind == "test":
            info["points"] = float(nbg.get("points") or 0)
            info["exercise"] = exercise
            info["forbid"] = forbids.get(exercise, [])
            info["visible"] = info["source"].split(HIDDEN_BEGIN)[0]
            info["quiz"] = "quiz(" in info["visible"]
            info["sem_esperado"] = dict(
                ((cell.get("metadata") or {}).get("autograder") or {}).get("sem_esperado", {}))
        cells.append(info)
    return cells


def ship_forbid(release_nb, source_cells):
    """Write each exercise's effective forbid list (libraries included) into the released
    answer cell's ``autograder.forbid``: the self-check and the learner's kernel apply it."""
    lists = {c["grade_id"]: c["forbid"] for c in source_cells if c["kind"] == "answer"}
    for cell in release_nb["cells"]:
        gid = nbgrader_meta(cell).get("grade_id")
        if cell_kind(cell) == "answer" and lists.get(gid):
            meta = cell.setdefault("metadata", {}).setdefault("autograder", {})
            meta["forbid"] = list(lists[gid])


def visible_check_names(visible_source):
    return set(re.findall(r"check\(\s*['\"](\w+)['\"]", visible_source))


def is_data_cell(cell):
    """Whether ``cell`` is the release's data cell (``release.inject_diagnostics``)."""
    meta = cell.get("metadata")
    tags = meta.get("tags") if isinstance(meta, dict) else None
    return isinstance(tags, list) and DATA_TAG in tags


def rebuild(cells, student_nb):
    """Cells to run: the source's, with the student's answer cells in place.

    Returns (cells to run, answers {grade_id: source}, reasons, notes).
    """
    answers, reasons, notes, seen = {}, [], [], set()
    source_ids = {c["grade_id"]: c for c in cells if c["grade_id"]}
    ungraded = {c["source"].strip() for c in cells if c["kind"] in ("code", "demo")}
    helpers = 0
    for cell in student_nb["cells"]:
        if not isinstance(cell, dict):
            continue
        gid = nbgrader_meta(cell).get("grade_id")
        if not isinstance(gid, str):
            text = source_text(cell).strip()
            helpers += cell.get("cell_type") == "code" and bool(text) and text not in ungraded \
                and not is_data_cell(cell)
            continue
        if gid in seen:
            if "duplicated cells" not in reasons:
                reasons.append("duplicated cells")
            continue
        seen.add(gid)
        src = source_ids.get(gid)
        if src is None:
            if nbgrader_meta(cell).get("grade"):
                notes.append(f"célula adicionada ignorada: {gid[:80]!r}")
            elif cell.get("cell_type") == "code" and source_text(cell).strip() not in ungraded:
                helpers += bool(source_text(cell).strip())
            continue
        if src["kind"] == "answer":
            answers[gid] = source_text(cell)
        elif src["kind"] == "test":
            mine = _CHAVE.sub("", source_text(cell)).strip()
            if mine not in (src["visible"].strip(), src["source"].strip()):
                notes.append(f"célula de teste alterada (usada a original): {gid}")
    if helpers:
        notes.append(f"{helpers} célula(s) de código acrescentada(s) fora das células de resposta "
                     "não roda(m) na correção: o que elas definem precisa estar numa célula de "
                     "resposta")
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
            run.append({"index": c["index"], "source": src, "kind": c["kind"],
                        "forbid": c.get("forbid") or []})
    return run


def _plain_code(source, escapes=None):
    """``source`` as the plain Python the shell runs.

    The timing and plot magics become their code (``%%timeit`` keeps its set-up line). With
    ``escapes`` (a set), any other magic or shell command is added to it and becomes ``pass``:
    line by line, in linear time (IPython's own transformer is quadratic in the escapes)."""
    cell = _SAFE_CELL_MAGIC.match(source)
    if cell:
        source = cell.group(2) + "\n" + source[cell.end():]
    elif escapes is not None and source.lstrip().startswith("%%"):
        escapes.add(source.lstrip().split(None, 1)[0][:20])
        return ""
    lines = []
    for line in _PLOT_MAGIC.sub("", source).splitlines():
        safe = _SAFE_LINE_MAGIC.match(line)
        escape = _ESCAPE.match(line) if escapes is not None else None
        if safe:
            lines.append(safe.group(1) + safe.group(3))
        elif escape:
            escapes.add(line.strip()[:20])
            lines.append(escape.group(1) + "pass")
        else:
            lines.append(line)
    return "\n".join(lines)


def _identifiers(source):
    """Names, attributes, imported modules, identifier-like strings and tricks in ``source``."""
    if len(source) > MAX_ANALYSED_CHARS:
        return set(), {"célula grande demais para a análise"}
    escapes = set()
    tree = _parse(_plain_code(source))
    if tree is None:
        tree = _parse(_plain_code(source, escapes))
    if tree is None:
        tree, escapes = _ipython_parse(source), set()
    if tree is None:  # IPython cannot compile it either: it runs nothing
        return set(), set()
    names, attrs, modules, strings, keywords = set(), set(), set(), set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.Attribute):
            attrs.add(node.attr)
            if node.attr == "path" and isinstance(node.value, ast.Name) and node.value.id == "sys":
                keywords.add("sys.path")
        elif isinstance(node, ast.MatchClass):  # case object(attr=x): an attribute read
            attrs.update(node.kwd_attrs)
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
              | (modules & TRICK_MODULES) | (keywords & {"sys.path"})
              | (strings & _TRICK_IN_STRINGS) | escapes)
    if "logging" in modules and "config" in modules:
        tricks.add("logging.config")
    return names | attrs | modules | strings, tricks


def _parse(code):
    try:
        return ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _ipython_parse(source):
    """The tree of what IPython would run, for the rare cells only its transformer reads."""
    if len(source) > 20_000:
        return None
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        return ast.parse(TransformerManager().transform_cell(source))
    except Exception:
        return None


def answer_names(source):
    """(every name an answer cell mentions, the sorted dynamic-lookup tricks it uses)."""
    mentioned, tricks = _identifiers(source)
    return mentioned, sorted(tricks)


def forbidden_uses(cells, answers):
    """What the source tells about the forbid rule: ({exercise: why it earns nothing},
    {answer cell: tricks}).

    Names cost nothing: the sandbox takes the forbidden code itself away while an exercise's
    cells run (``forbid``). What it cannot take away is decided here. The values exercise k's
    test cells record depend only on the answer cells that ran before them, its own and the
    earlier ones, so k earns nothing when one of those cells uses a dynamic-lookup trick (it
    could reach around the gates) or imports a library that k forbids (a module bound before
    k's cells run stays usable).
    """
    disqualified, tricky, imports = {}, {}, []
    for c in cells:
        if c["kind"] != "answer":
            continue
        gid = c["grade_id"]
        source = answers.get(gid, "")
        tricks = answer_names(source)[1]
        imports.append((gid, imported_modules(source)))
        if tricks:
            tricky[gid] = tricks
        forbid = set(c.get("forbid") or [])
        if not forbid:
            continue
        uses = [f"importa {', '.join(sorted(forbid & mods))} (em {g})" for g, mods in imports
                if forbid & mods]
        if uses:
            disqualified[gid] = "; ".join(uses)
        elif tricky:
            disqualified[gid] = "acesso dinâmico antes dos seus testes, em " + ", ".join(tricky)
    return disqualified, tricky


def imported_modules(source):
    """Top-level names of the modules ``source`` imports (``import torch.nn`` -> torch)."""
    tree = _parse(_plain_code(source, set())) if len(source) <= MAX_ANALYSED_CHARS else None
    found = set()
    for node in ast.walk(tree) if tree is not None else ():
        if isinstance(node, ast.Import):
            found.update(a.name.partition(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.partition(".")[0])
    return found


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
