"""Chapter 9 (Seq2seq e atenção): the notebook runs, has its structure and figures, and grades right.

Grading proof with the project's autograder: the source scores full marks, the untouched student
release scores 0, and every typical wrong answer loses its exercise's points and only those.
"""

import importlib.util
import json
import re
from pathlib import Path

import pytest

from autograder.grading import grade_notebook, substitute_answer
from autograder.release import release

_spec = importlib.util.spec_from_file_location("chapters_conftest",
                                               Path(__file__).with_name("conftest.py"))
_helpers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_helpers)
COURSE, count_images, outputs_text = _helpers.COURSE, _helpers.count_images, _helpers.outputs_text

NOTEBOOK = "09-seq2seq-atencao"
SOURCE = COURSE / NOTEBOOK / f"{NOTEBOOK}.ipynb"
EXERCISES = {  # answer cell -> its test cells
    "c09_ex1_resp": ["c09_ex1_teste"],
    "c09_ex2_resp": ["c09_ex2_teste"],
    "c09_ex3_resp": ["c09_ex3_teste"],
    "c09_ex4_resp": ["c09_ex4_teste"],
}

_ADD = """
def additive_scores(q, K, W_q, W_k, v):
    {body}
"""
_BWD = """
def context_backward(dc, q, K, alpha):
    dalpha = np.einsum("nh,nsh->ns", dc, K)
    de = {de}
    dq = np.einsum("ns,nsh->nh", de, K)
    dK = {dK}
    return dq, dK
"""
_OK_DE = "alpha * (dalpha - (alpha * dalpha).sum(axis=-1, keepdims=True))"
_OK_DK = "alpha[:, :, None] * dc[:, None, :] + de[:, :, None] * q[:, None, :]"

# Typical wrong answers, per exercise: (description, answer cell code).
WRONG = {
    "c09_ex1_resp": [
        ("esquece a tanh",
         _ADD.format(body="return ((q @ W_q.T)[:, None, :] + K @ W_k.T) @ v")),
        ("aplica a tanh a cada projeção separadamente",
         _ADD.format(body="return (np.tanh(q @ W_q.T)[:, None, :] + np.tanh(K @ W_k.T)) @ v")),
        ("soma as unidades ocultas em vez de usar v",
         _ADD.format(body="return np.tanh((q @ W_q.T)[:, None, :] + K @ W_k.T).sum(axis=-1)")),
    ],
    "c09_ex2_resp": [
        ("multiplica pela máscara depois da softmax, sem renormalizar",
         "def masked_softmax(e, mask):\n    z = e - e.max(axis=-1, keepdims=True)\n"
         "    w = np.exp(z)\n    return w / w.sum(axis=-1, keepdims=True) * mask\n"),
        ("zera os escores mascarados (exp(0) = 1 ainda dá peso)",
         "def masked_softmax(e, mask):\n    z = e * mask\n    z = z - z.max(axis=-1, keepdims=True)\n"
         "    w = np.exp(z)\n    return w / w.sum(axis=-1, keepdims=True)\n"),
        ("não subtrai o máximo (estoura com escores grandes)",
         "def masked_softmax(e, mask):\n    w = np.exp(e) * mask\n"
         "    return w / w.sum(axis=-1, keepdims=True)\n"),
    ],
    "c09_ex3_resp": [
        ("média simples dos estados, ignorando alpha",
         "def context_vector(alpha, K):\n    return K.mean(axis=1)\n"),
        ("média ponderada dividida por S",
         "def context_vector(alpha, K):\n    return (alpha[:, :, None] * K).mean(axis=1)\n"),
    ],
    "c09_ex4_resp": [
        ("esquece o jacobiano da softmax (de = dalpha)", _BWD.format(de="alpha * dalpha", dK=_OK_DK)),
        ("esquece o caminho de K pelo contexto",
         _BWD.format(de=_OK_DE, dK="de[:, :, None] * q[:, None, :]")),
        ("esquece o caminho de K pelos escores",
         _BWD.format(de=_OK_DE, dK="alpha[:, :, None] * dc[:, None, :]")),
    ],
}


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("grade-cache")


def _grade(path, cache_dir):
    return grade_notebook(SOURCE, path, cache_dir=cache_dir)


def test_executes_with_figures(executed):
    nb, seconds = executed
    print(f"\n{NOTEBOOK}: executado em {seconds:.1f} s")
    assert count_images(nb) >= 3  # máscara, curvas de perda, mapas de calor
    text = outputs_text(nb)
    errors = re.findall(r"erro relativo d[qK]: ([0-9.e+-]+)", text)
    assert len(errors) == 2 and max(float(e) for e in errors) < 1e-7
    acc = {name: (float(g), float(b)) for name, g, b in re.findall(
        r"(sem atenção|com atenção): acurácia \(datas inteiras corretas\) gulosa = ([0-9.]+) "
        r"em 1000 datas; feixe k=3 = ([0-9.]+)", text)}
    print(f"datas de teste: {acc}")
    assert acc["com atenção"][0] >= 0.95 and acc["com atenção"][1] >= 0.95
    assert acc["sem atenção"][0] < acc["com atenção"][0] - 0.5
    assert re.search(r"sábado, 24 de agosto de 1929\s+->\s+1929-08-24", text)


def test_structure():
    nb = json.loads(SOURCE.read_text(encoding="utf-8"))
    text = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    assert "Objetivos de aprendizagem" in text and "Para saber mais" in text
    ids = [c["metadata"]["nbgrader"]["grade_id"] for c in nb["cells"]
           if "nbgrader" in c["metadata"]]
    assert len(ids) == len(set(ids))
    answers = [c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("solution")]
    quizzes = [c for c in answers if "resposta_" in "".join(c["source"])]
    assert len(answers) - len(quizzes) >= 3 and len(quizzes) >= 4
    assert all(c.get("outputs") == [] and c.get("execution_count") is None
               for c in nb["cells"] if c["cell_type"] == "code")
    forbid = {c["metadata"]["nbgrader"]["grade_id"]: c["metadata"].get("autograder", {})
              for c in answers}
    assert "softmax_forward" in forbid["c09_ex2_resp"]["forbid"]


def test_source_scores_full_and_release_zero(cache_dir, tmp_path):
    full = _grade(SOURCE, cache_dir)
    assert full.status == "ok", full.reasons
    assert full.score == full.max_score >= 14
    assert all(c.status == "passed" for c in full.cells)
    (released,) = release(COURSE, tmp_path, NOTEBOOK)
    text = released.read_text(encoding="utf-8")
    assert "BEGIN SOLUTION" not in text and "(alpha * dalpha).sum" not in text
    graded = _grade(released, cache_dir)
    assert graded.status == "ok", graded.reasons
    assert graded.score == 0, graded.scores()


CASES = [(ex, desc, code) for ex, wrongs in WRONG.items() for desc, code in wrongs]


@pytest.mark.parametrize("exercise,desc,code", CASES, ids=[f"{e}-{i}" for e, ws in WRONG.items()
                                                           for i in range(len(ws))])
def test_wrong_answer_loses_only_its_points(exercise, desc, code, cache_dir, tmp_path):
    path = substitute_answer(SOURCE, exercise, code, tmp_path / "wrong.ipynb")
    result = _grade(path, cache_dir)
    for cell in result.cells:
        if cell.grade_id in EXERCISES[exercise]:
            assert cell.points == 0, f"{desc}: {cell.grade_id} ainda pontua"
        else:
            assert cell.points == cell.max_points, f"{desc}: {cell.grade_id} perdeu pontos"
