import base64
import json
import re
import shutil
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from conftest import CHAPTER, COURSE, FAST, SOURCE

from autograder import notebook as nbmod
from autograder.release import (
    ReleaseError,
    _first_difference,
    chapters,
    is_data_cell,
    leaks,
    lint,
    quiz_answers,
    release,
    teaching_lint,
    visible_checks,
)
from autograder.selfcheck import self_check


def test_release_reveals_nothing(released):
    nb = json.loads(released.read_text(encoding="utf-8"))
    cells = nbmod.layout(json.loads(SOURCE.read_text(encoding="utf-8")))
    assert leaks(cells, nb) == []
    text = released.read_text(encoding="utf-8")
    for secret in ("BEGIN SOLUTION", "HIDDEN TESTS", "return np.tanh(x @ W + b)", "da @ W.T",
                   "dx_uns", "oculto", 'resposta_q1 = \\"b\\"', 'resposta_q2 = \\"c\\"'):
        assert secret not in text
    assert quiz_answers(cells) == {"resposta_q1": "b", "resposta_q2": "c"}
    quiz_cells = [nbmod.source_text(c) for c in nb["cells"] if "quiz(" in nbmod.source_text(c)
                  and nbmod.cell_kind(c) == "test"]
    assert len(quiz_cells) == 2 and all("chave=" in s for s in quiz_cells)


def test_leak_check_catches_a_leak(released):
    nb = json.loads(released.read_text(encoding="utf-8"))
    cells = nbmod.layout(json.loads(SOURCE.read_text(encoding="utf-8")))
    nb["cells"][1]["source"] = "h = np.tanh(x @ W + b)\nreturn np.tanh(x @ W + b)"
    assert leaks(cells, nb)


def test_quiz_answer_cells_keep_none_without_the_stub(released):
    nb = json.loads(released.read_text(encoding="utf-8"))
    by_id = {nbmod.nbgrader_meta(c).get("grade_id"): nbmod.source_text(c) for c in nb["cells"]}
    for quiz in ("q1", "q2"):
        assert f"resposta_{quiz} = None" in by_id[quiz]
        assert "NotImplementedError" not in by_id[quiz] and "SEU CÓDIGO" not in by_id[quiz]
    for exercise in ("tanh_forward", "tanh_backward"):  # exercises keep nbgrader's stub
        assert "raise NotImplementedError()" in by_id[exercise]


def test_untouched_release_reaches_the_quiz_feedback(released):
    lines, _ = self_check(released, limits=FAST)
    by_id = {line.grade_id: line for line in lines}
    for quiz in ("test_q1", "test_q2"):
        assert not by_id[quiz].ok
        assert "escolha uma das alternativas" in by_id[quiz].message, by_id[quiz]
        assert "NotImplementedError" not in by_id[quiz].message
    assert by_id["test_tanh_forward"].message == "não respondido"  # never "incorreto"


def _with_hidden_expected(tmp_path):
    course = tmp_path / "curso"
    shutil.copytree(COURSE, course)
    path = course / CHAPTER / f"{CHAPTER}.ipynb"
    raw = path.read_text(encoding="utf-8")
    old = 'check(\\"db\\", db, rtol=1e-5, atol=1e-7)'
    assert old in raw
    path.write_text(raw.replace(old, 'check(\\"db\\", db, expected=numerico(f, b))'), "utf-8")
    return course


def test_release_refuses_expected_in_hidden_tests(tmp_path):
    course = _with_hidden_expected(tmp_path)
    with pytest.raises(ReleaseError) as info:
        release(course, tmp_path / "saida", CHAPTER)
    message = str(info.value)
    assert CHAPTER in message and "test_tanh_backward" in message and "expected=" in message
    assert not (tmp_path / "saida" / "release" / CHAPTER).exists()
    cli = subprocess.run([sys.executable, "-m", "autograder", "release", CHAPTER, "--course",
                          str(course), "--out", str(tmp_path / "cli")],
                         capture_output=True, text=True)
    assert cli.returncode == 2 and "test_tanh_backward" in cli.stderr
    assert "teste oculto passa o valor esperado" in cli.stderr


def test_lint_reads_positional_expected_and_keeps_visible_ones():
    cells = nbmod.layout(json.loads(SOURCE.read_text(encoding="utf-8")))
    assert lint(cells, CHAPTER) == []  # visible checks may pass expected values
    test = next(c for c in cells if c["grade_id"] == "test_tanh_backward")
    for hidden in ('check("db", db, numerico(f, b))', "for k in range(2):\n    check('a', 1, 1)"):
        test["source"] = test["source"].split(nbmod.HIDDEN_BEGIN)[0] + nbmod.HIDDEN_BEGIN + \
            "\n" + hidden + "\n### END HIDDEN TESTS"
        assert len(lint(cells, CHAPTER)) == 1, hidden


def test_lint_refuses_a_hidden_check_named_like_a_visible_one():
    cells = nbmod.layout(json.loads(SOURCE.read_text(encoding="utf-8")))
    test = next(c for c in cells if c["grade_id"] == "test_tanh_backward")
    (name, _, _), *_ = visible_checks(test["visible"])
    test["source"] = test["source"].split(nbmod.HIDDEN_BEGIN)[0] + nbmod.HIDDEN_BEGIN + \
        f"\ncheck({name!r}, 2 * dx)\n### END HIDDEN TESTS"
    (problem,) = lint(cells, CHAPTER)
    assert "test_tanh_backward" in problem and f"teste visível {name!r}" in problem


def test_a_mistake_is_named_only_where_the_self_check_stops():
    """Its value ships for the first visible check (in the order its run made them) that
    differs from the solution's: a later check never sees it."""
    want = {"v:a": np.array([1.0]), "t:a": np.array([1e-6, 1e-8]), "v:b": np.array([2.0]),
            "v:c": np.array([3.0])}
    assert _first_difference({"v:a": np.array([1.0]), "v:b": np.array([5.0]),
                              "v:c": np.array([4.0])}, want, ["a", "b", "c"]) == "b"
    assert _first_difference({"v:c": np.array([4.0]), "v:b": np.array([5.0])},
                             want, ["a", "b", "c"]) == "c"
    assert _first_difference({"v:a": np.array([1.0, 1.0]), "v:b": np.array([5.0])},
                             want, ["a", "b"]) == "a"  # another shape differs too
    assert _first_difference({"v:a": np.array([1.0]), "v:z": np.array([9.0])},
                             want, ["a", "b"]) is None  # z is hidden


def test_every_chapter_passes_the_source_lint():
    chapters_dir = Path(__file__).resolve().parents[2] / "course"
    problems = []
    for name in chapters(chapters_dir):
        path = chapters_dir / name / f"{name}.ipynb"
        problems += lint(nbmod.layout(json.loads(path.read_text(encoding="utf-8"))), name)
    assert problems == []


def _quiz_and_test_sources(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    return nb, [nbmod.source_text(c) for c in nb["cells"] if nbmod.cell_kind(c) == "test"]


def test_class_release_has_no_key_digest_or_explanation(tmp_path, cache_dir):
    (path,) = release(COURSE, tmp_path, CHAPTER, mode="class", cache_dir=cache_dir)
    text = path.read_text(encoding="utf-8")
    for secret in ("chave", "explicacoes", "tanh² é a derivada", "np.tanh(x @ W)"):
        assert secret not in text, secret
    lines, _ = self_check(path, limits=FAST)
    quiz_line = next(line for line in lines if line.grade_id == "test_q1")
    assert "escolha uma das alternativas" in quiz_line.message


def test_study_release_gives_immediate_feedback_and_ships_mistake_values(released, tmp_path):
    nb, tests = _quiz_and_test_sources(released)
    text = released.read_text(encoding="utf-8")
    assert "tanh² é a derivada" not in text and "np.tanh(x @ W)" not in text
    quizzes = [t for t in tests if "quiz(" in t]
    assert len(quizzes) == 2 and all("chave=" in t for t in quizzes)
    assert "explicacoes" not in "".join(quizzes)  # sealed in the data cell, not on the line
    forward = next(t for t in tests if "tanh_forward(" in t)
    # one short readable line per test cell; the data once, in a collapsed cell after setup
    assert forward.startswith('from autograder.student import diagnostico; '
                              'diagnostico("test_tanh_forward")\n')
    (data,) = [c for c in nb["cells"] if is_data_cell(c)]
    assert data["metadata"]["jupyter"]["source_hidden"] and "diagnosticos(" in data["source"]
    assert nbmod.cell_kind(nb["cells"][nb["cells"].index(data) - 1]) == "code"
    assert max(len(line) for c in nb["cells"] if c is not data
               for line in nbmod.source_text(c).splitlines()) < 120
    table = json.loads(zlib.decompress(base64.b64decode(
        re.search(r'diagnosticos\("(.+)"\)', data["source"]).group(1))))
    assert list(table["explicacoes"]) == ["q1"]  # q1 declares explanations, q2 does not
    assert "tanh_forward" in table["testes"]["test_tanh_forward"]["funcoes"]["tanh_forward"]
    cells = nbmod.layout(json.loads(SOURCE.read_text(encoding="utf-8")))
    assert leaks(cells, nb, "study") == []
    # a learner who answers right sees the explanation; the untouched exercise is diagnosed
    for cell in nb["cells"]:
        if nbmod.nbgrader_meta(cell).get("grade_id") == "q1":
            cell["source"] = 'resposta_q1 = "b"'
        if nbmod.nbgrader_meta(cell).get("grade_id") == "tanh_forward":
            cell["source"] = "def tanh_forward(x, W, b):\n    return np.tanh(x @ W)\n"
    mine = tmp_path / "meu.ipynb"
    mine.write_text(json.dumps(nb), encoding="utf-8")
    by_id = {line.grade_id: line for line in self_check(mine, limits=FAST)[0]}
    assert "esqueceu de somar o viés" in by_id["test_tanh_forward"].message
    assert by_id["test_q1"].ok


def test_nbgrader_validate_reports_nothing_changed(tmp_path, cache_dir):
    import nbformat
    from nbgrader.validator import Validator

    for mode in ("study", "class"):
        (path,) = release(COURSE, tmp_path / mode, CHAPTER, mode=mode, cache_dir=cache_dir)
        nb = nbformat.read(path, as_version=4)
        assert Validator()._get_changed_cells(nb) == [], mode
    cli = subprocess.run([sys.executable, "-m", "nbgrader", "validate", str(path)],
                         capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert "HAVE CHANGED" not in cli.stdout + cli.stderr, cli.stdout[-2000:]
    assert "NotImplementedError" in cli.stdout  # it did run the untouched notebook


def test_teaching_lint(tmp_path):
    cells = nbmod.layout(json.loads(SOURCE.read_text(encoding="utf-8")))
    assert teaching_lint(cells, CHAPTER) == []
    test = next(c for c in cells if c["grade_id"] == "test_tanh_forward")
    test["visible"] += '\ncheck("extra", h, dica=["a ideia", "use np.tanh(x @ W + b)"])\n'
    problems = teaching_lint(cells, CHAPTER)
    assert any("'extra' não tem valor esperado" in p for p in problems)
    assert any("contém código da solução" in p and "np.tanh(x@W+b)" in p for p in problems)
    test["sem_esperado"] = {"extra": "só confere que o valor é finito"}
    assert not any("valor esperado" in p for p in teaching_lint(cells, CHAPTER))
    answer = next(c for c in cells if c["grade_id"] == "tanh_forward")
    answer["equivocos"].append({"id": "sem_vies", "mensagem": "repetido", "codigo": "x"})
    assert any("'sem_vies'" in p for p in teaching_lint(cells, CHAPTER))
