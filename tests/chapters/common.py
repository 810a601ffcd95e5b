"""Shared pieces of the chapter tests: notebook reading, wrong-answer cases and grading checks.

Each chapter test keeps only what is its own (NOTEBOOK, EXERCISES, WRONG, its structure and
figure checks) and calls the checks below, which are the same for every chapter.
"""

import json
import re
from pathlib import Path
from typing import NamedTuple

import pytest

from autograder.grading import grade_notebook, substitute_answer
from autograder.release import release

ROOT = Path(__file__).resolve().parents[2]
COURSE = ROOT / "course"


def source_path(name: str) -> Path:
    return COURSE / name / f"{name}.ipynb"


# --- executed notebooks ---------------------------------------------------------------------

def outputs_text(nb) -> str:
    """All text outputs of an executed notebook, joined (to assert on printed figures)."""
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if "text" in out:
                parts.append(out["text"])
            elif "data" in out and "text/plain" in out["data"]:
                parts.append(out["data"]["text/plain"])
    return "\n".join(parts)


def count_images(nb) -> int:
    return sum(
        1 for c in nb.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})
    )


def error_outputs(nb) -> list:
    return [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]


def numbers(pattern: str, text: str) -> list[float]:
    """The groups of the first match of ``pattern`` in ``text``, as floats."""
    m = re.search(pattern, text)
    assert m, f"saída esperada não encontrada: {pattern}"
    return [float(g) for g in m.groups()]


def number(pattern: str, text: str) -> float:
    return numbers(pattern, text)[0]


# --- source notebooks -----------------------------------------------------------------------

def cells(source: Path) -> list:
    return json.loads(source.read_text(encoding="utf-8"))["cells"]


def _nbgrader(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


class Parts(NamedTuple):
    cells: list
    text: str  # all markdown, joined
    ids: list  # nbgrader grade ids, in order
    exercises: list  # grade ids of the answer cells that are not quizzes
    forbid: dict  # answer grade id -> its "autograder" metadata


def check_structure(source: Path, wrong: dict, min_exercises: int = 3) -> Parts:
    """Assert what every chapter has; return its parts for the chapter's own checks.

    Learning objectives and further reading, unique grade ids, at least ``min_exercises``
    exercises and 4 quizzes, no outputs committed, and an answer cell for each key of ``wrong``.
    """
    nb_cells = cells(source)
    text = "\n".join("".join(c["source"]) for c in nb_cells if c["cell_type"] == "markdown")
    assert "Objetivos de aprendizagem" in text and "Para saber mais" in text
    ids = [_nbgrader(c)["grade_id"] for c in nb_cells if _nbgrader(c)]
    assert len(ids) == len(set(ids))
    answers = [c for c in nb_cells if _nbgrader(c).get("solution")]
    quizzes = [c for c in answers if "resposta_" in "".join(c["source"])]
    exercises = [_nbgrader(c)["grade_id"] for c in answers if c not in quizzes]
    assert len(exercises) >= min_exercises and len(quizzes) >= 4
    assert all(c.get("outputs") == [] and c.get("execution_count") is None
               for c in nb_cells if c["cell_type"] == "code")
    for gid in wrong:
        assert gid in exercises, gid
    forbid = {_nbgrader(c)["grade_id"]: c["metadata"].get("autograder", {}) for c in answers}
    return Parts(nb_cells, text, ids, exercises, forbid)


def answer_source(source: Path, grade_id: str) -> str:
    """The solution of an answer cell, without the BEGIN/END SOLUTION markers."""
    for cell in cells(source):
        if _nbgrader(cell).get("grade_id") == grade_id:
            return re.sub(r"[ \t]*### (BEGIN|END) SOLUTION\n", "", "".join(cell["source"]))
    raise KeyError(grade_id)


def mutate(source: Path, grade_id: str, *edits) -> str:
    """The solution with each (old, new) fragment replaced; every fragment must be present."""
    src = answer_source(source, grade_id)
    for old, new in edits:
        assert old in src, f"{grade_id}: trecho {old!r} não está na solução"
        src = src.replace(old, new)
    return src


# --- grading --------------------------------------------------------------------------------

def grade(source: Path, path: Path, cache_dir):
    return grade_notebook(source, path, cache_dir=cache_dir)


def assert_source_scores_full(source: Path, cache_dir, min_score: float):
    full = grade(source, source, cache_dir)
    assert full.status == "ok", (full.reasons, full.notes)
    assert full.score == full.max_score >= min_score
    assert all(c.status == "passed" for c in full.cells)


def assert_release_scores_zero(source: Path, cache_dir, tmp_path, leaks=()) -> str:
    """Release the chapter, check no solution (nor any of ``leaks``) is in it and that it grades
    ok with 0 points; returns the released notebook's text."""
    (released,) = release(COURSE, tmp_path, source.parent.name)
    text = released.read_text(encoding="utf-8")
    for fragment in ("BEGIN SOLUTION", "HIDDEN TESTS", *leaks):
        assert fragment not in text, f"a versão do aluno contém {fragment!r}"
    graded = grade(source, released, cache_dir)
    assert graded.status == "ok", graded.reasons
    assert graded.score == 0, graded.scores()
    return text


def wrong_cases(wrong: dict):
    """``@wrong_cases(WRONG)``: one test per (exercise, description, code) of ``WRONG``."""
    cases = [(ex, desc, code) for ex, wrongs in wrong.items() for desc, code in wrongs]
    ids = [f"{ex}-{i}" for ex, wrongs in wrong.items() for i in range(len(wrongs))]
    return pytest.mark.parametrize("exercise,desc,code", cases, ids=ids)


def _grade_substituted(source, exercise, code, cache_dir, tmp_path, tests):
    """Grade the source with ``exercise``'s answer replaced by ``code``; returns the result and
    the exercise's own test cells (``tests`` if given, else those the grader attributes to it)."""
    path = substitute_answer(source, exercise, code.strip() + "\n", tmp_path / "sub.ipynb")
    result = grade(source, path, cache_dir)
    own = [c for c in result.cells
           if (c.grade_id in tests if tests is not None else c.exercise == exercise)]
    assert own, f"{exercise}: nenhuma célula de teste corrigida"
    return result, own


def _assert_others_full(result, own, desc):
    for cell in result.cells:
        if cell not in own:
            assert cell.points == cell.max_points, (
                f"{desc}: afetou outros exercícios ({cell.grade_id} perdeu pontos)")


def assert_loses_only_its_points(source, exercise, desc, code, cache_dir, tmp_path, tests=None):
    """A wrong answer loses all of its exercise's points and none elsewhere."""
    result, own = _grade_substituted(source, exercise, code, cache_dir, tmp_path, tests)
    for cell in own:
        assert cell.points == 0, f"{desc}: não foi detectado ({cell.grade_id} ainda pontua)"
    _assert_others_full(result, own, desc)


def assert_reference_is_forbidden(source, exercise, code, cache_dir, tmp_path, tests=None,
                                  others_full=False):
    """An answer that calls the reference implementation earns nothing and is flagged.

    ``others_full``: also check that no other exercise loses points (not where a later exercise
    builds on this one and the cheat's return value is incomplete)."""
    result, own = _grade_substituted(source, exercise, code, cache_dir, tmp_path, tests)
    for cell in own:
        assert cell.status == "forbidden" and cell.points == 0, cell
    assert result.status == "needs_review" and "forbidden reference" in result.reasons
    if others_full:
        _assert_others_full(result, own, "referência proibida")


# --- what the chapters declare (misconceptions, hints, visible values, quizzes) -------------

def misconceptions(source: Path) -> dict:
    """Answer grade id -> [(mensagem, codigo)]: the typical mistakes a chapter declares in its
    answer cells' metadata ("autograder": {"equivocos": [...]}), one source of truth for the
    test that plants them and for the feedback that names them."""
    found = {}
    for cell in cells(source):
        for mistake in cell.get("metadata", {}).get("autograder", {}).get("equivocos", []):
            assert re.fullmatch(r"[a-z0-9_]+", mistake["id"]), mistake["id"]
            assert mistake["mensagem"].strip() and "\n" not in mistake["mensagem"].strip()
            found.setdefault(_nbgrader(cell)["grade_id"], []).append(
                (mistake["mensagem"], mistake["codigo"]))
    for gid, mistakes in found.items():
        assert len({m for m, _ in mistakes}) == len(mistakes), f"{gid}: mensagens repetidas"
    return found


def _solution_lines(nb_cells) -> set:
    lines = set()
    for cell in nb_cells:
        src = "".join(cell["source"])
        for region in re.findall(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", src, re.S):
            lines |= {ln.strip() for ln in region.splitlines()
                      if len(ln.strip()) >= 8 and not ln.strip().startswith("#")}
    return lines


def _literal(node) -> bool:
    """A literal, np.array(<literal>), or np.eye/zeros/ones/full of literals."""
    import ast
    if isinstance(node, ast.Call) and ast.unparse(node.func) in (
            "np.array", "np.asarray", "np.eye", "np.zeros", "np.ones", "np.full"):
        return all(_literal(arg) for arg in node.args)
    try:
        ast.literal_eval(node)
    except ValueError:
        return False
    return True


def check_visible_checks(source: Path, exercises) -> int:
    """Every visible ``check`` of the given exercises' test cells compares with a literal
    expected value and gives hints in levels (a list of at least two), none of which contains a
    line of any solution. Returns how many checks were inspected."""
    import ast
    nb_cells = cells(source)
    solution = _solution_lines(nb_cells)
    owner, seen = None, 0
    for cell in nb_cells:
        meta = _nbgrader(cell)
        if meta.get("solution"):
            owner = meta["grade_id"]
        if not meta.get("grade") or owner not in exercises:
            continue
        visible = "".join(cell["source"]).split("### BEGIN HIDDEN TESTS")[0]
        for node in ast.walk(ast.parse(visible)):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", "") == "check"):
                continue
            seen += 1
            where = f"{meta['grade_id']}: check({ast.unparse(node.args[0])})"
            kw = {k.arg: k.value for k in node.keywords}
            expected = node.args[2] if len(node.args) > 2 else kw.get("expected")
            assert expected is not None, f"{where} sem valor esperado"
            assert _literal(expected) or isinstance(expected, (ast.Name, ast.Subscript)), (
                f"{where}: o valor esperado deve ser literal")
            hints = kw.get("dica")
            assert isinstance(hints, ast.List) and len(hints.elts) >= 2, f"{where}: dica em níveis"
            for level in hints.elts:
                text = ast.literal_eval(level)
                for line in solution:
                    assert line not in text, f"{where}: a dica contém o código {line!r}"
    return seen


def quizzes(source: Path) -> list:
    """(grade id, key, {letter: option text}, explanations) of every quiz of a chapter."""
    nb_cells, found = cells(source), []
    for i, cell in enumerate(nb_cells):
        m = re.search(r'resposta_\w+ = "([a-d])"', "".join(cell["source"]))
        if not (m and _nbgrader(cell).get("solution")):
            continue
        question = next("".join(c["source"]) for c in reversed(nb_cells[:i])
                        if c["cell_type"] == "markdown")
        options = dict(re.findall(r"^- \*\*([a-d])\)\*\* *(.*)$", question, re.M))
        assert sorted(options) == list("abcd"), f"{_nbgrader(cell)['grade_id']}: opções a-d"
        assert re.match(r"\*\*Pergunta \d+\.\*\*", question), "rótulo: **Pergunta N.**"
        explanations = cell["metadata"].get("autograder", {}).get("explicacoes", {})
        found.append((_nbgrader(cell)["grade_id"], m.group(1), options, explanations))
    return found


def key_is_longest(key: str, options: dict) -> bool:
    """The key is strictly longer than every distractor (the test-taker's cue)."""
    return all(len(options[key]) > len(text) for letter, text in options.items() if letter != key)


def check_quizzes(source: Path):
    """A chapter's quizzes: an explanation per letter, the key the strictly longest option in
    at most a third of the questions, and no key letter used more than ceil(n/4) + 1 times."""
    found = quizzes(source)
    for gid, _, _, explanations in found:
        assert sorted(explanations) == list("abcd") and all(
            e.strip() for e in explanations.values()), f"{gid}: explicação por letra"
    longest = sum(key_is_longest(key, opts) for _, key, opts, _ in found)
    assert longest <= len(found) / 3, f"a chave é a opção mais longa em {longest}/{len(found)}"
    for letter in "abcd":
        used = sum(key == letter for _, key, _, _ in found)
        assert used <= -(-len(found) // 4) + 1, f"a letra {letter!r} é a chave {used} vezes"
    return found
