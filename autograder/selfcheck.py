"""Self-study check of one notebook: run it in the sandbox and report each test cell.

Without the source notebook (a learner with the release) the visible tests and the quiz keys
decide; with ``source`` the notebook is graded exactly as the instructor grades it.
"""

from dataclasses import dataclass
from pathlib import Path

from . import notebook as nbmod
from . import status as st
from .feedback import earlier_text
from .forbid import allowances
from .grading import grade_notebook
from .sandbox import run_cells


@dataclass
class Line:
    grade_id: str
    points: float
    max_points: float
    ok: bool
    message: str


def self_check(notebook_path, source=None, limits=None):
    """Return (lines, isolation) for ``notebook_path``."""
    if source is not None:
        result = grade_notebook(source, notebook_path, limits=limits)
        lines = []
        for c in result.cells:
            hints = "; ".join(f"{n}: {d}" if d else n for n, d in c.failed_hints)
            if c.earlier:
                hints = earlier_text(c.earlier) + (" " + hints if hints else "")
            lines.append(Line(c.grade_id, c.points, c.max_points, c.status == "passed",
                              hints or st.cell_label(c.status, c.detail)))
        if result.status != "ok":
            lines.append(Line("(entrega)", 0, 0, False,
                              "precisa de revisão: " + "; ".join([st.reasons_label(result.reasons),
                                                                    *result.notes])))
        return lines, result.isolation
    nb = nbmod.load_json_notebook(Path(notebook_path).read_bytes())
    cells = nbmod.layout(nb)
    answers = {c["grade_id"]: c["source"] for c in cells if c["kind"] == "answer"}
    allowed = allowances(cells)
    run = [dict(c, allow=allowed.get(c["index"], [])) for c in nbmod.runnable(cells, answers)]
    outcome = run_cells(run, "self", limits, data_dir=Path(notebook_path).parent)
    if outcome.fatal:
        raise RuntimeError(outcome.fatal)
    costs = forbid_warnings(cells, answers, outcome.forbidden, allowed)
    lines = []
    for c in cells:
        if c["kind"] != "test":
            continue
        status = outcome.statuses.get(c["index"], "not_run")
        ok = status == "ok" and c["exercise"] not in costs
        if c["exercise"] in costs:
            message = costs[c["exercise"]]
        elif status == "error":
            name, msg = outcome.errors[c["index"]]
            if name in ("AssertionError", "Falha") and msg:
                message = msg
            elif name == "NotImplementedError":
                message = st.cell_label(st.UNANSWERED)
            else:
                message = f"{name}: {msg}" if msg else name
        else:
            message = st.cell_label(status)
        lines.append(Line(c["grade_id"], c["points"] if ok else 0.0, c["points"], ok, message))
    return lines, outcome.isolation


def forbid_warnings(cells, answers, calls, allowed=None):
    """{exercise: pt-BR warning} for the exercises that would lose their points in the
    instructor's grading: a forbidden call its cells made (the gates report it by name), or
    a dynamic-lookup trick / forbidden library import in its answer cell or an earlier one."""
    from .grading import forbidden_calls

    warnings = {}
    for exercise, names in forbidden_calls(cells, calls, allowed).items():
        warnings[exercise] = (f"{st.forbidden_label(names)}: na correção este exercício fica "
                              "sem pontos")
    disqualified, tricky = nbmod.forbidden_uses(cells, answers)
    for exercise, why in disqualified.items():
        warnings.setdefault(exercise, f"{st.cell_label(st.FORBIDDEN)} ({why}): na correção "
                                      "este exercício fica sem pontos")
    return warnings
