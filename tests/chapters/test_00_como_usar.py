"""Chapter 00 (Como usar este curso): the notebook runs, has its parts, and the grading catches
typical wrong answers for every exercise."""

import json
from pathlib import Path

import pytest

from autograder.grading import grade_notebook, substitute_answer
from autograder.release import release

NOTEBOOK = "00-como-usar"
COURSE = Path(__file__).resolve().parents[2] / "course"
SOURCE = COURSE / NOTEBOOK / f"{NOTEBOOK}.ipynb"

# exercise answer cell -> typical wrong answers (description, full cell source)
WRONG_ANSWERS = {
    "c00_ex1_resp": [
        ("tira a raiz (norma, não o quadrado)", """
def squared_norm(v):
    return float(np.sqrt(np.sum(np.asarray(v, dtype=float) ** 2)))
"""),
        ("média em vez de soma", """
def squared_norm(v):
    return float(np.mean(np.asarray(v, dtype=float) ** 2))
"""),
    ],
    "c00_ex2_resp": [
        ("valor absoluto", """
def relu(x):
    return np.abs(x)
"""),
        ("máscara em vez do valor", """
def relu(x):
    return (x > 0).astype(float)
"""),
    ],
}
WRONG_CASES = [(gid, desc, code) for gid, cases in WRONG_ANSWERS.items() for desc, code in cases]


def outputs_text(nb):
    # same as conftest.outputs_text (a conftest module cannot be imported by name here: the
    # one in tests/ shadows it)
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if "text" in out:
                parts.append(out["text"])
            elif "data" in out and "text/plain" in out["data"]:
                parts.append(out["data"]["text/plain"])
    return "\n".join(parts)


def count_images(nb):
    return sum(1 for c in nb.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {}))


def _cells():
    return json.loads(SOURCE.read_text(encoding="utf-8"))["cells"]


def _nbg(cell):
    return cell.get("metadata", {}).get("nbgrader", {})


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("ref00")


def test_notebook_executes(executed):
    nb, seconds = executed
    print(f"\n{NOTEBOOK}: executado em {seconds:.1f} s")
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors


def test_structure():
    cells = _cells()
    text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    answers = [c for c in cells if _nbg(c).get("solution")]
    exercises = [c for c in answers if "resposta_" not in "".join(c["source"])]
    quizzes = [c for c in answers if "resposta_" in "".join(c["source"])]
    assert len(exercises) >= 1 and len(quizzes) >= 4
    assert all(c["metadata"].get("autograder", {}).get("forbid") for c in exercises)
    assert "Objetivos de aprendizagem" in text and "Para saber mais" in text
    for phrase in ("python -m autograder check caminho/do/notebook.ipynb", "autograder release",
                   "autograder grade", "autograder feedback", "Restart Kernel", "Testes ocultos",
                   "SEU CÓDIGO AQUI", "demo"):
        assert phrase in text, phrase
    ids = [_nbg(c)["grade_id"] for c in cells if _nbg(c)]
    assert len(ids) == len(set(ids))
    assert not any(c.get("outputs") for c in cells if c["cell_type"] == "code")
    for wrong in WRONG_ANSWERS:
        assert wrong in ids


def test_figures_and_printed_results(executed):
    nb, _ = executed
    assert count_images(nb) >= 1
    assert "c00_q1" in outputs_text(nb)


def test_solutions_score_full_marks(cache_dir):
    result = grade_notebook(SOURCE, SOURCE, cache_dir=cache_dir)
    assert result.status == "ok", result.notes
    assert result.max_score > 0 and result.score == result.max_score


def test_untouched_release_scores_zero(cache_dir, tmp_path):
    (released,) = release(COURSE, tmp_path, NOTEBOOK)
    result = grade_notebook(SOURCE, released, cache_dir=cache_dir)
    assert result.score == 0


@pytest.mark.parametrize("gid,desc,code", WRONG_CASES, ids=[f"{g}:{d}" for g, d, _ in WRONG_CASES])
def test_wrong_answer_loses_only_its_exercise(gid, desc, code, cache_dir, tmp_path):
    sub = substitute_answer(SOURCE, gid, code.strip() + "\n", tmp_path / "sub.ipynb")
    result = grade_notebook(SOURCE, sub, cache_dir=cache_dir)
    own = [c for c in result.cells if c.exercise == gid]
    others = [c for c in result.cells if c.exercise != gid]
    assert own and all(c.points == 0 for c in own), f"{desc}: não foi detectado"
    assert all(c.points == c.max_points for c in others), f"{desc}: afetou outros exercícios"


def test_forbidden_reference_earns_nothing(cache_dir, tmp_path):
    code = ("from rnnlib import functional as F\n\n\ndef relu(x):\n"
            "    return F.relu_forward(x)[0]\n")
    sub = substitute_answer(SOURCE, "c00_ex2_resp", code, tmp_path / "sub.ipynb")
    result = grade_notebook(SOURCE, sub, cache_dir=cache_dir)
    own = [c for c in result.cells if c.exercise == "c00_ex2_resp"]
    assert own and all(c.status == "forbidden" and c.points == 0 for c in own)
