"""The forbid rule in the learner's own Jupyter kernel (self-study, no sandbox).

``autograder.student`` calls :func:`install` when a Jupyter kernel imports it. The released
notebook in the kernel's folder carries each exercise's forbid list (``autograder.forbid``, see
``notebook.ship_forbid``); while one of its test cells runs, the same gates the grader uses
(``forbid``) refuse what that exercise forbids, and after the cell a pt-BR warning names the
forbidden call and the exercise that would lose its points in the instructor's grading.
"""

import json
import os
import re
from pathlib import Path

from . import notebook as nbmod
from . import status as st

_HEADING = re.compile(r"(?m)^#+\s*(.+?)\s*$")


def _notebook():
    """The released notebook this kernel runs: Jupyter's ``JPY_SESSION_NAME``, else the one
    notebook of the current folder that has forbid lists."""
    named = os.environ.get("JPY_SESSION_NAME", "")
    candidates = [Path(named)] if named.endswith(".ipynb") else []
    candidates += sorted(Path.cwd().glob("*.ipynb"))
    for path in candidates:
        try:
            nb = json.loads(path.read_text(encoding="utf-8"))
            cells = nbmod.layout(nb)
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if any(c["kind"] == "answer" and c["forbid"] for c in cells):
            return nb, cells
    return None, None


def exercise_titles(nb, cells):
    """{answer grade_id: the heading above it}, for messages a learner reads."""
    titles, heading = {}, None
    for raw, c in zip(nb["cells"], cells, strict=True):
        if raw.get("cell_type") == "markdown":
            found = _HEADING.findall(nbmod.source_text(raw))
            heading = found[-1] if found else heading
        elif c["kind"] == "answer":
            titles[c["grade_id"]] = heading or c["grade_id"]
    return titles


def warning(title, names):
    return (f"Atenção: na correção, \"{title}\" fica sem pontos: "
            f"{st.forbidden_label(names).removeprefix('sem crédito: ')}.")


def install(shell):
    """Register the gates and the warnings with ``shell`` (an IPython kernel shell)."""
    nb, cells = _notebook()
    if nb is None:
        return False
    from .forbid import group_labels, handed_over
    from .forbid import install as gates

    groups = []
    for c in cells:
        if c["kind"] == "answer" and c["forbid"] and frozenset(c["forbid"]) not in groups:
            groups.append(frozenset(c["forbid"]))
    tests = {c["source"].strip(): c for c in cells if c["kind"] == "test" and c["forbid"]}
    titles = exercise_titles(nb, cells)
    enter, drain, adopt, trust = gates(groups, shell.user_ns)
    labels = group_labels(groups)
    running = {}

    def before(info):
        import linecache

        cell = tests.get(nbmod.source_text({"source": info.raw_cell or ""}).strip())
        if cell is None:
            cell = next((c for src, c in tests.items()
                         if _same_test(src, info.raw_cell or "")), None)
        running["cell"] = cell
        if cell is not None:
            adopt(shell.user_ns)  # what the set-up cells defined since
            # ipykernel names a cell's code by a hash of its text: a test cell run again has
            # its name in the cache already, and stays the test (not an earlier cell)
            raw = (info.raw_cell or "").strip()
            trust({name for name, entry in list(linecache.cache.items())
                   if len(entry) < 3 or "".join(entry[2]).strip() != raw})
            group = groups.index(frozenset(cell["forbid"]))
            enter(group, handed_over(cell["source"], labels[group]))

    def after(result):
        cell = running.pop("cell", None)
        enter(None)
        trust(None)
        names = drain()
        adopt(shell.user_ns)
        if cell is not None and names:
            print(warning(titles.get(cell["exercise"], cell["exercise"]), names))

    shell.events.register("pre_run_cell", before)
    shell.events.register("post_run_cell", after)
    return True


def _same_test(source, raw):
    """A released test cell, compared without the quiz key the release adds."""
    return nbmod._CHAVE.sub("", source).strip() == nbmod._CHAVE.sub("", raw).strip()
