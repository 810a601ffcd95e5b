import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FAST, SOURCE

from autograder import grade_notebook, substitute_answer
from autograder.selfcheck import self_check

FULL = {"test_tanh_forward": 2, "test_tanh_backward": 3, "test_q1": 1, "test_q2": 1}


def test_solution_scores_full_marks_and_skips_demo(cache_dir):
    result = grade_notebook(SOURCE, SOURCE, limits=FAST, cache_dir=cache_dir)
    assert result.scores() == FULL
    assert (result.score, result.max_score, result.status) == (7, 7, "ok")
    assert result.seconds < 3  # the 3 s demo cell is not run


def test_untouched_release_scores_zero_with_status_ok(released, cache_dir):
    result = grade_notebook(SOURCE, released, limits=FAST, cache_dir=cache_dir)
    assert result.score == 0 and result.status == "ok", result


def test_typical_wrong_answers_are_caught(tmp_path, cache_dir):
    no_bias = "def tanh_forward(x, W, b):\n    return np.tanh(x @ W)\n"
    path = substitute_answer(SOURCE, "tanh_forward", no_bias, tmp_path / "s.ipynb")
    result = grade_notebook(SOURCE, path, limits=FAST, cache_dir=cache_dir)
    assert result.scores() == {**FULL, "test_tanh_forward": 0}
    hints = dict(result.cells[0].failed_hints)
    assert "oculto" not in hints and "Some o viés" in hints["um_valor"]
    # gradient that forgets tanh' but keeps the shapes
    bad = ("def tanh_backward(dh, x, W, b):\n"
           "    return dh @ W.T, x.T @ dh, dh.sum(axis=0)\n")
    path = substitute_answer(SOURCE, "tanh_backward", bad, tmp_path / "t.ipynb")
    result = grade_notebook(SOURCE, path, limits=FAST, cache_dir=cache_dir)
    assert result.scores() == {**FULL, "test_tanh_backward": 0}


def _solve(released, tmp_path, answers):
    nb = json.loads(released.read_text(encoding="utf-8"))
    src = json.loads(SOURCE.read_text(encoding="utf-8"))
    by_id = {c["metadata"].get("nbgrader", {}).get("grade_id"): c for c in src["cells"]}
    for cell in nb["cells"]:
        gid = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if gid in answers:
            cell["source"] = answers[gid] if answers[gid] is not None else by_id[gid]["source"]
    path = tmp_path / "01-amostra.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


def test_self_check_of_release(released, tmp_path):
    solved = _solve(released, tmp_path, dict.fromkeys(["tanh_forward", "tanh_backward", "q1",
                                                        "q2"]))
    lines, _ = self_check(solved, limits=FAST)
    assert all(line.ok for line in lines), lines
    wrong = _solve(released, tmp_path, {"q1": 'resposta_q1 = "a"', "tanh_forward": None})
    lines, _ = self_check(wrong, limits=FAST)
    status = {line.grade_id: line.ok for line in lines}
    assert status == {"test_tanh_forward": True, "test_tanh_backward": False,
                      "test_q1": False, "test_q2": False}
    cli = subprocess.run([sys.executable, "-m", "autograder", "check", str(wrong),
                          "--cell-timeout", "3"], capture_output=True, text=True)
    assert cli.returncode == 1
    assert "FALHOU test_q1" in cli.stdout and "incorreta" in cli.stdout
    assert "OK   test_tanh_forward" in cli.stdout


@pytest.mark.parametrize("mode", ["unshare", "none"])
def test_fallback_isolation_still_grades_right(tmp_path, forced_isolation, cache_dir, mode):
    crash = "import os\nos._exit(0)"
    path = substitute_answer(SOURCE, "q1", crash, tmp_path / "s.ipynb")
    forced_isolation(mode)
    result = grade_notebook(SOURCE, path, limits=FAST, cache_dir=cache_dir)
    assert "bwrap" not in result.isolation
    assert result.isolation.startswith("unshare-net" if mode == "unshare" else ("setpriv", "rlimit"))
    assert result.scores() == {**FULL, "test_q1": 0}
    assert result.reasons == ["crash"]


def test_reference_cache_key_covers_rnnlib():
    """After a library change, stale reference values would grade right answers wrong."""
    from autograder.confine import package_root
    from autograder.grading import source_hash

    before = source_hash(SOURCE)
    lib = package_root() / "rnnlib" / "functional" / "rnn.py"
    original = lib.read_bytes()
    try:
        lib.write_bytes(original + b"\n# mudou\n")
        assert source_hash(SOURCE) != before
    finally:
        lib.write_bytes(original)
    assert source_hash(SOURCE) == before


def test_self_check_warns_and_says_unanswered(released, tmp_path):
    """issue 14: without the source, the self-check names the forbidden reference and what
    it costs; an untouched answer reads "não respondido", never "incorreto"."""
    cheat = ("def tanh_backward(dh, x, W, b):\n    f = tanh_backward_ref\n"
             "    return f(dh, x, W, b)\n")
    path = _solve(released, tmp_path, {"tanh_backward": cheat})
    lines = {line.grade_id: line for line in self_check(path, limits=FAST)[0]}
    assert not lines["test_tanh_backward"].ok
    assert "sem crédito: usa tanh_backward_ref" in lines["test_tanh_backward"].message
    assert lines["test_tanh_forward"].message == "não respondido"


def test_kernel_warns_about_the_forbidden_reference(released, tmp_path):
    """issue 14: in the learner's own Jupyter kernel, the test cell of an exercise whose answer
    calls what it forbids fails with a pt-BR message and a warning names what it costs."""
    import nbformat
    from nbclient import NotebookClient

    cheat = ("def tanh_backward(dh, x, W, b):\n    f = tanh_backward_ref\n"
             "    return f(dh, x, W, b)\n")
    path = _solve(released, tmp_path, {"tanh_backward": cheat, "tanh_forward": None})
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=60, allow_errors=True,
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    out = {c.metadata.get("nbgrader", {}).get("grade_id"):
           json.dumps(c.get("outputs", []), ensure_ascii=False)
           for c in nb.cells if c.cell_type == "code"}
    assert "não pode ser usado neste exercício" in out["test_tanh_backward"]
    assert "forbid.py" not in out["test_tanh_backward"]  # no autograder internals
    assert "fica sem pontos" in out["test_tanh_backward"]
    assert "Exercício 2" in out["test_tanh_backward"]  # the heading above the answer
    assert "fica sem pontos" not in out["test_tanh_forward"]


def test_kernel_run_twice_keeps_the_tests_own_reference_calls(tmp_path):
    """Chapter 02's test cell computes its expected value with ``F.rnn_cell_forward``. In the
    learner's kernel a test cell run again has the same code name (ipykernel hashes the text):
    the second "run all" must not take the test's own call for the learner's."""
    import re

    import nbformat
    from nbclient import NotebookClient

    from autograder.lab import learner_workspace
    from autograder.release import SOLUTION_BEGIN, SOLUTION_END

    chapter = "02-rnn-simples"
    learner_workspace(str(tmp_path / "curso"), chapter=chapter)
    path = tmp_path / "curso" / chapter / f"{chapter}.ipynb"
    src = json.loads((Path(__file__).resolve().parents[2] / "course" / chapter /
                      f"{chapter}.ipynb").read_text(encoding="utf-8"))
    solution = {c["metadata"]["nbgrader"]["grade_id"]:
                re.sub(rf"[ \t]*({SOLUTION_BEGIN}|{SOLUTION_END})[^\n]*\n?", "",
                       "".join(c["source"]))
                for c in src["cells"] if c["metadata"].get("nbgrader", {}).get("solution")}
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in solution:
            cell.source = solution[gid]
    client = NotebookClient(nb, timeout=120, allow_errors=True,
                            resources={"metadata": {"path": str(path.parent)}})
    with client.setup_kernel():
        for attempt in range(2):
            for index, cell in enumerate(nb.cells):
                if cell.cell_type == "code":
                    client.execute_cell(cell, index)
            errors = [(c.metadata.get("nbgrader", {}).get("grade_id"), o.get("evalue", "")[:200])
                      for c in nb.cells if c.cell_type == "code"
                      for o in c.get("outputs", []) if o.get("output_type") == "error"]
            assert errors == [], (attempt, errors)


def test_the_releases_data_cell_is_not_a_learners_helper_cell(tmp_path):
    """The release adds one collapsed data cell (the typical mistakes' values): grading a
    solved release must not tell every student that a cell they added was dropped."""
    import re

    from autograder.notebook import is_data_cell
    from autograder.release import SOLUTION_BEGIN, SOLUTION_END, release

    chapter = "02-rnn-simples"
    course = Path(__file__).resolve().parents[2] / "course"
    source = course / chapter / f"{chapter}.ipynb"
    (path,) = release(course, tmp_path / "rel", chapter, mode="class", cache_dir=tmp_path / "c")
    src = json.loads(source.read_text(encoding="utf-8"))
    solution = {c["metadata"]["nbgrader"]["grade_id"]:
                re.sub(rf"[ \t]*({SOLUTION_BEGIN}|{SOLUTION_END})[^\n]*\n?", "",
                       "".join(c["source"]))
                for c in src["cells"] if c["metadata"].get("nbgrader", {}).get("solution")}
    nb = json.loads(path.read_text(encoding="utf-8"))
    assert sum(map(is_data_cell, nb["cells"])) == 1
    for cell in nb["cells"]:
        gid = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if gid in solution:
            cell["source"] = solution[gid]
    path.write_text(json.dumps(nb), encoding="utf-8")
    result = grade_notebook(source, path, cache_dir=tmp_path / "c")
    assert (result.score, result.status, result.notes) == (result.max_score, "ok", [])
    nb["cells"].insert(3, {"cell_type": "code", "metadata": {}, "outputs": [],
                           "execution_count": None, "source": "auxiliar = 1"})
    path.write_text(json.dumps(nb), encoding="utf-8")
    notes = grade_notebook(source, path, cache_dir=tmp_path / "c").notes
    assert len(notes) == 1 and "1 célula(s) de código acrescentada(s)" in notes[0]
