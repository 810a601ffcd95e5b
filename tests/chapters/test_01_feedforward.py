"""Chapter 01 (Redes feedforward e retropropagação): the notebook runs, has its parts, and the grading catches
typical wrong answers for every exercise."""

import json
import re
from pathlib import Path

import pytest

from autograder.grading import grade_notebook, substitute_answer
from autograder.release import release

NOTEBOOK = "01-feedforward"
COURSE = Path(__file__).resolve().parents[2] / "course"
SOURCE = COURSE / NOTEBOOK / f"{NOTEBOOK}.ipynb"

# exercise answer cell -> typical wrong answers (description, full cell source)
WRONG_ANSWERS = {
    "c01_ex1_resp": [
        ("sem o viés", """
def dense_forward(x, W, b):
    return x @ W.T
"""),
        ("saída transposta", """
def dense_forward(x, W, b):
    return W @ x.T + b[:, None]
"""),
    ],
    "c01_ex2_resp": [
        ("dW transposto", """
def dense_backward(dy, x, W):
    return dy @ W, x.T @ dy, dy.sum(axis=0)
"""),
        ("db com média em vez de soma", """
def dense_backward(dy, x, W):
    return dy @ W, dy.T @ x, dy.mean(axis=0)
"""),
        ("dx com W transposta", """
def dense_backward(dy, x, W):
    return dy @ W.T, dy.T @ x, dy.sum(axis=0)
"""),
    ],
    "c01_ex3_resp": [
        ("diferença para frente", """
def numerical_grad(f, x, eps=1e-5):
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    f0 = f(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        grad[i] = (f(x) - f0) / eps
        x[i] = old
    return grad
"""),
        ("divide por eps em vez de 2 eps", """
def numerical_grad(f, x, eps=1e-5):
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        fp = f(x)
        x[i] = old - eps
        fm = f(x)
        x[i] = old
        grad[i] = (fp - fm) / eps
    return grad
"""),
        ("não devolve x ao valor original", """
def numerical_grad(f, x, eps=1e-5):
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        x[i] += eps
        fp = f(x)
        x[i] -= 2 * eps
        fm = f(x)
        grad[i] = (fp - fm) / (2 * eps)
    return grad
"""),
    ],
    "c01_ex4_resp": [
        ("sem a derivada da tanh", """
def mlp_step(params, x, y, lr):
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    h = np.tanh(x @ W1.T + b1)
    y_hat = h @ W2.T + b2
    loss = np.mean((y_hat - y) ** 2)
    dy_hat = 2 * (y_hat - y) / y_hat.size
    da = dy_hat @ W2
    grads = {"W1": da.T @ x, "b1": da.sum(axis=0), "W2": dy_hat.T @ h, "b2": dy_hat.sum(axis=0)}
    for k, g in grads.items():
        params[k] -= lr * g
    return loss
"""),
        ("sobe o gradiente (sinal trocado)", """
def mlp_step(params, x, y, lr):
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    h = np.tanh(x @ W1.T + b1)
    y_hat = h @ W2.T + b2
    loss = np.mean((y_hat - y) ** 2)
    dy_hat = 2 * (y_hat - y) / y_hat.size
    da = (dy_hat @ W2) * (1 - h**2)
    grads = {"W1": da.T @ x, "b1": da.sum(axis=0), "W2": dy_hat.T @ h, "b2": dy_hat.sum(axis=0)}
    for k, g in grads.items():
        params[k] += lr * g
    return loss
"""),
        ("esquece o fator 2/S da MSE", """
def mlp_step(params, x, y, lr):
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    h = np.tanh(x @ W1.T + b1)
    y_hat = h @ W2.T + b2
    loss = np.mean((y_hat - y) ** 2)
    dy_hat = y_hat - y
    da = (dy_hat @ W2) * (1 - h**2)
    grads = {"W1": da.T @ x, "b1": da.sum(axis=0), "W2": dy_hat.T @ h, "b2": dy_hat.sum(axis=0)}
    for k, g in grads.items():
        params[k] -= lr * g
    return loss
"""),
        ("atualiza W2 antes de propagar para a camada oculta", """
def mlp_step(params, x, y, lr):
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    h = np.tanh(x @ W1.T + b1)
    y_hat = h @ W2.T + b2
    loss = np.mean((y_hat - y) ** 2)
    dy_hat = 2 * (y_hat - y) / y_hat.size
    W2 -= lr * (dy_hat.T @ h)
    b2 -= lr * dy_hat.sum(axis=0)
    da = (dy_hat @ W2) * (1 - h**2)
    W1 -= lr * (da.T @ x)
    b1 -= lr * da.sum(axis=0)
    return loss
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
    return tmp_path_factory.mktemp("ref01")


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
    assert len(exercises) >= 3 and len(quizzes) >= 4
    assert all(c["metadata"].get("autograder", {}).get("forbid") for c in exercises)
    assert "Objetivos de aprendizagem" in text and "Para saber mais" in text
    assert "regra da cadeia" in text and "diferença central" in text.lower()
    assert "A maçã é" in text and "vermelha" in text
    ids = [_nbg(c)["grade_id"] for c in cells if _nbg(c)]
    assert len(ids) == len(set(ids))
    assert not any(c.get("outputs") for c in cells if c["cell_type"] == "code")
    for wrong in WRONG_ANSWERS:
        assert wrong in ids


def test_figures_and_printed_results(executed):
    nb, _ = executed
    out = outputs_text(nb)
    assert count_images(nb) >= 4  # ativações, diferenças finitas, treino da MLP, janelas
    for name in ("dW", "dx"):
        err = re.search(rf"erro relativo {name}: (\S+)", out).group(1)
        assert float(err) < 1e-8
    loss = float(re.search(r"perda final da MLP: ([0-9.]+)", out).group(1))
    assert loss < 0.005
    p1 = float(re.search(r"janela de 1: depois de 'é', P\(vermelha\) = ([0-9.]+)", out).group(1))
    p2 = float(re.search(r"janela de 2: depois de 'maçã é', P\(vermelha\) = ([0-9.]+)", out).group(1))
    assert p1 < 0.35 and p2 > 0.9


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
    code = ("def dense_forward(x, W, b):\n"
            "    return F.linear_forward(x, W, b)[0]\n")
    sub = substitute_answer(SOURCE, "c01_ex1_resp", code, tmp_path / "sub.ipynb")
    result = grade_notebook(SOURCE, sub, cache_dir=cache_dir)
    own = [c for c in result.cells if c.exercise == "c01_ex1_resp"]
    assert own and all(c.status == "forbidden" and c.points == 0 for c in own)
