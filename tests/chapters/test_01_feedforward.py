"""Chapter 01 (Redes feedforward e retropropagação): the notebook runs, has its parts, and the grading catches
typical wrong answers for every exercise."""

import re

from . import common

NOTEBOOK = "01-feedforward"
SOURCE = common.source_path(NOTEBOOK)

# exercise answer cell -> typical wrong answers (description, full cell source)
WRONG = {
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


def test_notebook_executes(executed):
    assert not common.error_outputs(executed[0])


def test_structure():
    parts = common.check_structure(SOURCE, WRONG)
    text = parts.text
    assert all(parts.forbid[gid].get("forbid") for gid in parts.exercises)
    assert "regra da cadeia" in text and "diferença central" in text.lower()
    assert "A maçã é" in text and "vermelha" in text


def test_figures_and_printed_results(executed):
    nb, _ = executed
    out = common.outputs_text(nb)
    assert common.count_images(nb) >= 4  # ativações, diferenças finitas, treino da MLP, janelas
    for name in ("dW", "dx"):
        err = re.search(rf"erro relativo {name}: (\S+)", out).group(1)
        assert float(err) < 1e-8
    loss = float(re.search(r"perda final da MLP: ([0-9.]+)", out).group(1))
    assert loss < 0.005
    p1 = float(re.search(r"janela de 1: depois de 'é', P\(vermelha\) = ([0-9.]+)", out).group(1))
    p2 = float(re.search(r"janela de 2: depois de 'maçã é', P\(vermelha\) = ([0-9.]+)", out).group(1))
    assert p1 < 0.35 and p2 > 0.9


def test_solutions_score_full_marks(cache_dir):
    common.assert_source_scores_full(SOURCE, cache_dir, min_score=16)


def test_untouched_release_scores_zero(cache_dir, tmp_path):
    common.assert_release_scores_zero(SOURCE, cache_dir, tmp_path)


@common.wrong_cases(WRONG)
def test_wrong_answer_loses_only_its_points(exercise, desc, code, cache_dir, tmp_path):
    common.assert_loses_only_its_points(SOURCE, exercise, desc, code, cache_dir, tmp_path)


def test_forbidden_reference_earns_nothing(cache_dir, tmp_path):
    code = ("def dense_forward(x, W, b):\n"
            "    return F.linear_forward(x, W, b)[0]\n")
    common.assert_reference_is_forbidden(SOURCE, "c01_ex1_resp", code, cache_dir, tmp_path)
