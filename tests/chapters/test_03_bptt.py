"""Chapter 3 (BPTT): the notebook runs, has its structure and figures, and grades right.

The character model trained on the IBGE first names reaches a stated loss and its sampled names
are shown. Grading proof with the project's autograder: the source scores full marks, the
untouched student release scores 0, and every typical wrong answer loses its exercise's points
and only those.
"""

import re

from . import common

NOTEBOOK = "03-bptt"
SOURCE = common.source_path(NOTEBOOK)
EXERCISES = {  # answer cell -> its test cells
    "c03_ex1_resp": ["c03_ex1_teste"],
    "c03_ex2_resp": ["c03_ex2_teste"],
    "c03_ex3_resp": ["c03_ex3_teste"],
    "c03_ex4_resp": ["c03_ex4_teste"],
    "c03_ex5_resp": ["c03_ex5_teste"],
}
LOSS_BOUND = 2.2  # the notebook states: validation loss below 2.2 nats per character

_STEP = '''
def rnn_step_backward(dh, x, h_prev, h, W_xh, W_hh):
    da = {da}
    dx = da @ W_xh
    dh_prev = {dhp}
    dW_xh = da.T @ x
    dW_hh = da.T @ h_prev
    db = {db}
    return dx, dh_prev, dW_xh, dW_hh, db
'''
_OK_STEP = dict(da="dh * (1 - h**2)", dhp="da @ W_hh", db="da.sum(axis=0)")

_BPTT = '''
def rnn_bptt(dhs, xs, h0, hs, W_xh, W_hh):
    T = xs.shape[0]
    dxs = np.zeros_like(xs)
    dW_xh = np.zeros_like(W_xh)
    dW_hh = np.zeros_like(W_hh)
    db = np.zeros(W_hh.shape[0])
    dh_next = np.zeros_like(h0)
    for t in reversed(range(T)):
        h_prev = hs[t - 1] if t > 0 else h0
        da = {da}
        dxs[t] = da @ W_xh
        dh_next = da @ W_hh
        dW_xh {acc} da.T @ xs[t]
        dW_hh {acc} da.T @ h_prev
        db {acc} da.sum(axis=0)
    return dxs, dh_next, dW_xh, dW_hh, db
'''
_OK_BPTT = dict(da="(dhs[t] + dh_next) * (1 - hs[t] ** 2)", acc="+=")

_GRAD = '''
def numeric_gradient(f, x, eps=1e-6):
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        f_plus = f()
        x[i] = {minus}
        f_minus = f()
        {restore}
        grad[i] = (f_plus - f_minus) / {denom}
    return grad


def relative_error(a, b):
    denom = {rel_denom}
    return 0.0 if denom == 0 else float(np.linalg.norm(a - b) / denom)
'''
_OK_GRAD = dict(minus="old - eps", restore="x[i] = old", denom="(2 * eps)",
                rel_denom="np.linalg.norm(a) + np.linalg.norm(b)")

_TBPTT = '''
def truncated_bptt(xs, h0, W_xh, W_hh, b, dhs, k):
    dW_xh = np.zeros_like(W_xh)
    dW_hh = np.zeros_like(W_hh)
    db = np.zeros_like(b)
    h = h0
    for s in {windows}:
        gx, gh, gb, h = rnn_window(xs[s:s + k], {start}, dhs[s:s + k], W_xh, W_hh, b)
        dW_xh {acc} gx
        dW_hh {acc} gh
        db {acc} gb
    return dW_xh, dW_hh, db, h
'''
_OK_TBPTT = dict(windows="range(0, xs.shape[0], k)", start="h", acc="+=")

_OPT = '''
def momentum_step(p, g, v, lr, mu):
    v = {v}
    return p - lr * v, v


def adam_step(p, g, m, v, t, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * {g2}
    m_hat = {m_hat}
    v_hat = v / (1 - beta2**t)
    return p - lr * m_hat / (np.sqrt(v_hat) + eps), m, v
'''
_OK_OPT = dict(v="mu * v + g", g2="g**2", m_hat="m / (1 - beta1**t)")

# Typical wrong answers, per exercise: (description, answer cell code).
WRONG = {
    "c03_ex1_resp": [
        ("esquece a derivada da tanh", _STEP.format(**(_OK_STEP | dict(da="dh")))),
        ("usa W_hh transposta para dh_prev", _STEP.format(**(_OK_STEP | dict(dhp="da @ W_hh.T")))),
        ("média em vez de soma sobre o lote em db",
         _STEP.format(**(_OK_STEP | dict(db="da.mean(axis=0)")))),
    ],
    "c03_ex2_resp": [
        ("gradiente dos pesos não somado no tempo (só o último passo do laço)",
         _BPTT.format(**(_OK_BPTT | dict(acc="=")))),
        ("ignora o gradiente que vem do futuro (erro só da saída de cada passo)",
         _BPTT.format(**(_OK_BPTT | dict(da="dhs[t] * (1 - hs[t] ** 2)")))),
        ("esquece a derivada da tanh", _BPTT.format(**(_OK_BPTT | dict(da="dhs[t] + dh_next")))),
    ],
    "c03_ex3_resp": [
        ("diferença para a frente em vez de central",
         _GRAD.format(**(_OK_GRAD | dict(minus="old", denom="eps")))),
        ("não restaura x depois de perturbar", _GRAD.format(**(_OK_GRAD | dict(restore="pass")))),
        ("divide por eps em vez de 2 eps", _GRAD.format(**(_OK_GRAD | dict(denom="eps")))),
        ("erro relativo sem normalizar", _GRAD.format(**(_OK_GRAD | dict(rel_denom="1.0")))),
    ],
    "c03_ex4_resp": [
        ("zera o estado em cada janela (volta a h0)",
         _TBPTT.format(**(_OK_TBPTT | dict(start="h0")))),
        ("descarta a última janela incompleta",
         _TBPTT.format(**(_OK_TBPTT | dict(windows="range(0, xs.shape[0] - k + 1, k)")))),
        ("BPTT completo, sem truncar",
         "def truncated_bptt(xs, h0, W_xh, W_hh, b, dhs, k):\n"
         "    return rnn_window(xs, h0, dhs, W_xh, W_hh, b)\n"),
        ("guarda só os gradientes da última janela",
         _TBPTT.format(**(_OK_TBPTT | dict(acc="=")))),
    ],
    "c03_ex5_resp": [
        ("Adam sem correção de viés", _OPT.format(**(_OK_OPT | dict(m_hat="m")))
         .replace("v / (1 - beta2**t)", "v")),
        ("momento sem memória (v = g)", _OPT.format(**(_OK_OPT | dict(v="g")))),
        ("segundo momento com g em vez de g²", _OPT.format(**(_OK_OPT | dict(g2="np.abs(g)")))),
    ],
}


def test_executes_with_figures_and_names(executed):
    nb, _ = executed
    assert common.count_images(nb) >= 4
    text = common.outputs_text(nb)
    # both hand-written backward passes agree with the numerical gradient
    errors = re.findall(r"^  (?:dx|dh_prev|dxs|dh0|dW_xh|dW_hh|db)\s+([0-9.e+-]+)$", text,
                        flags=re.M)
    assert len(errors) == 10 and max(float(e) for e in errors) < 1e-7
    # the character model learns: from ~ln|V| down below the stated bound
    first = float(re.search(r"perda inicial: ([0-9.]+)", text).group(1))
    train = float(re.search(r"perda de treino \(média dos últimos 50 passos\): ([0-9.]+)",
                            text).group(1))
    val = float(re.search(r"perda de validação \(1000 nomes fora do treino\): ([0-9.]+)",
                          text).group(1))
    print(f"perda: inicial {first:.3f}, treino {train:.3f}, validação {val:.3f}")
    assert first > 3.0
    assert train < LOSS_BOUND and val < LOSS_BOUND
    # sampled names are shown: 20 lines of lower-case letters, some of them invented
    block = text.split("Nomes amostrados (* = inventado, fora do censo):")[1]
    sampled = re.findall(r"^  ([a-z]+)( \*)?$", block, flags=re.M)[:20]
    print("amostras:", ", ".join(n for n, _ in sampled))
    assert len(sampled) == 20
    assert sum(1 for n, _ in sampled if 2 <= len(n) <= 14) >= 16
    assert len({n for n, _ in sampled}) >= 15


def test_structure():
    parts = common.check_structure(SOURCE, WRONG)
    forbid = parts.forbid
    assert "rnn_cell_backward" in forbid["c03_ex1_resp"]["forbid"]
    assert "rnn_backward" in forbid["c03_ex2_resp"]["forbid"]
    assert "numerical_gradient" in forbid["c03_ex3_resp"]["forbid"]
    assert "Adam" in forbid["c03_ex5_resp"]["forbid"]
    # the names come from the library's loader; training and sampling are demos
    code = {"".join(c["source"]): c["metadata"].get("tags", []) for c in parts.cells
            if c["cell_type"] == "code"}
    assert any("rnnlib.datasets import names" in s and "demo" in t for s, t in code.items())
    assert any("tqdm(" in s and "demo" in t for s, t in code.items())


def test_source_scores_full_and_release_zero(cache_dir, tmp_path):
    common.assert_source_scores_full(SOURCE, cache_dir, min_score=15)
    common.assert_release_scores_zero(SOURCE, cache_dir, tmp_path)


@common.wrong_cases(WRONG)
def test_wrong_answer_loses_only_its_points(exercise, desc, code, cache_dir, tmp_path):
    common.assert_loses_only_its_points(SOURCE, exercise, desc, code, cache_dir, tmp_path,
                                        tests=EXERCISES[exercise])
