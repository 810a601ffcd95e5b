"""Chapter 02 (A RNN simples): the notebook runs, has its parts, and the grading catches
typical wrong answers for every exercise."""

import re

from . import common

NOTEBOOK = "02-rnn-simples"
SOURCE = common.source_path(NOTEBOOK)

# exercise answer cell -> typical wrong answers (description, full cell source)
WRONG = {
    "c02_ex1_resp": [
        ("sem a tanh", """
def rnn_step(x, h_prev, W_xh, W_hh, b):
    return x @ W_xh.T + h_prev @ W_hh.T + b
"""),
        ("W_hh sem transpor", """
def rnn_step(x, h_prev, W_xh, W_hh, b):
    return np.tanh(x @ W_xh.T + h_prev @ W_hh + b)
"""),
        ("esquece o estado anterior", """
def rnn_step(x, h_prev, W_xh, W_hh, b):
    return np.tanh(x @ W_xh.T + b)
"""),
    ],
    "c02_ex2_resp": [
        ("usa sempre h0 como estado anterior", """
def rnn_sequence(x, h0, W_xh, W_hh, b):
    hs = np.zeros((x.shape[0],) + h0.shape)
    for t in range(x.shape[0]):
        hs[t] = np.tanh(x[t] @ W_xh.T + h0 @ W_hh.T + b)
    return hs
"""),
        ("guarda o estado anterior em vez do novo", """
def rnn_sequence(x, h0, W_xh, W_hh, b):
    hs = np.zeros((x.shape[0],) + h0.shape)
    h = h0
    for t in range(x.shape[0]):
        hs[t] = h
        h = np.tanh(x[t] @ W_xh.T + h @ W_hh.T + b)
    return hs
"""),
        ("devolve só o último estado", """
def rnn_sequence(x, h0, W_xh, W_hh, b):
    h = h0
    for t in range(x.shape[0]):
        h = np.tanh(x[t] @ W_xh.T + h @ W_hh.T + b)
    return h
"""),
    ],
    "c02_ex3_resp": [
        ("blocos de W na ordem trocada", """
def concat_weights(W_hh, W_xh):
    return np.concatenate([W_xh, W_hh], axis=1)


def rnn_step_concat(x, h_prev, W, b):
    return np.tanh(np.concatenate([h_prev, x], axis=1) @ W.T + b)
"""),
        ("empilha [x, h_prev] com W = [W_hh W_xh]", """
def concat_weights(W_hh, W_xh):
    return np.concatenate([W_hh, W_xh], axis=1)


def rnn_step_concat(x, h_prev, W, b):
    return np.tanh(np.concatenate([x, h_prev], axis=1) @ W.T + b)
"""),
        ("concatena W na vertical", """
def concat_weights(W_hh, W_xh):
    return np.concatenate([W_hh, W_xh.T], axis=0)


def rnn_step_concat(x, h_prev, W, b):
    return np.tanh(np.concatenate([h_prev, x], axis=1) @ W + b)
"""),
    ],
    "c02_ex4_resp": [
        ("usa o primeiro estado", """
def many_to_one(hs, V, c):
    return softmax(hs[0] @ V.T + c)
"""),
        ("esquece a softmax", """
def many_to_one(hs, V, c):
    return hs[-1] @ V.T + c
"""),
        ("softmax ao longo do lote", """
def many_to_one(hs, V, c):
    e = np.exp(hs[-1] @ V.T + c)
    return e / e.sum(axis=0, keepdims=True)
"""),
    ],
    "c02_ex5_resp": [
        ("softmax ao longo do tempo", """
def many_to_many(hs, V, c):
    e = np.exp(hs @ V.T + c)
    return e / e.sum(axis=0, keepdims=True)
"""),
        ("sem o viés c", """
def many_to_many(hs, V, c):
    return softmax(hs @ V.T)
"""),
    ],
    "c02_ex6_resp": [
        ("não realimenta a saída", """
def one_to_many(x0, h0, W_xh, W_hh, b, V, c, T):
    ys, h = [], h0
    for _ in range(T):
        h = np.tanh(x0 @ W_xh.T + h @ W_hh.T + b)
        ys.append(h @ V.T + c)
    return np.stack(ys)
"""),
        ("softmax numa saída de regressão", """
def one_to_many(x0, h0, W_xh, W_hh, b, V, c, T):
    ys, x, h = [], x0, h0
    for _ in range(T):
        h = np.tanh(x @ W_xh.T + h @ W_hh.T + b)
        x = softmax(h @ V.T + c)
        ys.append(x)
    return np.stack(ys)
"""),
        ("devolve os estados em vez das saídas", """
def one_to_many(x0, h0, W_xh, W_hh, b, V, c, T):
    hs, x, h = [], x0, h0
    for _ in range(T):
        h = np.tanh(x @ W_xh.T + h @ W_hh.T + b)
        hs.append(h)
        x = h @ V.T + c
    return np.stack(hs)
"""),
    ],
}


def test_notebook_executes(executed):
    assert not common.error_outputs(executed[0])


def test_structure():
    parts = common.check_structure(SOURCE, WRONG)
    text = parts.text
    assert all(parts.forbid[gid].get("forbid") for gid in parts.exercises)
    assert "h_t = f" in text and "V h_t + c" in text and "softmax" in text
    assert "sushi" in text and "muitos-para-um" in text and "um-para-muitos" in text


def test_figures_and_printed_results(executed):
    nb, _ = executed
    out = common.outputs_text(nb)
    assert common.count_images(nb) >= 4  # dados sequenciais, memória, arquiteturas, curva de perda
    diff = re.search(r"maior diferença entre a camada e rnn_sequence: (\S+)", out).group(1)
    assert float(diff) < 1e-12
    loss = float(re.search(r"perda média nos últimos 50 passos: ([0-9.]+)", out).group(1))
    assert loss < 0.05
    assert "acertos: 15/15" in out


def test_solutions_score_full_marks(cache_dir):
    common.assert_source_scores_full(SOURCE, cache_dir, min_score=20)


def test_untouched_release_scores_zero(cache_dir, tmp_path):
    common.assert_release_scores_zero(SOURCE, cache_dir, tmp_path)


@common.wrong_cases(WRONG)
def test_wrong_answer_loses_only_its_points(exercise, desc, code, cache_dir, tmp_path):
    common.assert_loses_only_its_points(SOURCE, exercise, desc, code, cache_dir, tmp_path)


def test_forbidden_reference_earns_nothing(cache_dir, tmp_path):
    code = ("def rnn_step(x, h_prev, W_xh, W_hh, b):\n"
            "    return F.rnn_cell_forward(x, h_prev, W_xh, W_hh, b)[0]\n")
    common.assert_reference_is_forbidden(SOURCE, "c02_ex1_resp", code, cache_dir, tmp_path)
