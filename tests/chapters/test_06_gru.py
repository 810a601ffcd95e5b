"""Chapter 6 (GRU): the notebook runs, has its structure and figures, and grades right.

Grading proof with the project's autograder: the source scores full marks, the untouched student
release scores 0, and every typical wrong answer loses its exercise's points and only those.
"""

import re

import pytest

from . import common
from .common import numbers

NOTEBOOK = "06-gru"
SOURCE = common.source_path(NOTEBOOK)
EXERCISES = {  # answer cell -> its test cells
    f"c06_ex{k}_resp": [f"c06_ex{k}_teste"] for k in range(1, 5)
}


# Typical wrong answers, per exercise: (message, answer cell code), declared in the notebook.
WRONG = common.misconceptions(SOURCE)

# Answers that call the reference implementation: (answer cell, code).
CHEATS = [
    ("c06_ex1_resp", "def gru_step_forward(x, h_prev, W_ih, W_hh, b_ih, b_hh):\n"
                     "    h, c = F.gru_cell_forward(x, h_prev, W_ih, W_hh, b_ih, b_hh)\n"
                     "    H = h.shape[1]\n"
                     "    r, z, n = (c.gates[:, k * H:(k + 1) * H] for k in range(3))\n"
                     "    return h, (x, h_prev, r, z, n, c.hw_n, W_ih, W_hh)\n"),
    ("c06_ex3_resp", "def gru_seq_forward(x, h0, W_ih, W_hh, b_ih, b_hh, step_forward):\n"
                     "    return F.gru_forward(x, h0, W_ih, W_hh, b_ih, b_hh)\n"
                     "def gru_seq_backward(dhs, caches, step_backward):\n"
                     "    dx, dh0, g = F.gru_backward(dhs, caches)\n"
                     "    return (dx, dh0, g['weight_ih'], g['weight_hh'], g['bias_ih'],\n"
                     "            g['bias_hh'])\n"),
    ("c06_ex4_resp", "def count_params(kind, D, H, num_layers=1, bidirectional=False):\n"
                     "    cls = {'rnn': rnnlib.RNN, 'lstm': rnnlib.LSTM, 'gru': rnnlib.GRU}[kind]\n"
                     "    return cls(D, H, num_layers, bidirectional=bidirectional)"
                     ".num_parameters()\n"),
]


def _steps(name, text):
    """Per-seed step at which the smoothed loss went below 0.05 (None: never)."""
    m = re.search(rf"^{name}: EQM final .*abaixo de 0,05: \[([^\]]*)\]", text, re.M)
    assert m, f"linha de resultados de {name} não encontrada"
    return [None if s.strip() == "None" else int(s) for s in m.group(1).split(",")]


def test_executes_with_figures(executed):
    nb, _ = executed
    # figures: the sentence, the half-life widget's still, the cell diagram, the comparison...
    assert common.count_images(nb) >= 6
    text = common.outputs_text(nb)
    # the worked example of the derivation: the chain rule agrees with the central difference
    chain, central = numbers(r"dL/dw_hz: regra da cadeia ([0-9.e+-]+), diferença central "
                             r"([0-9.e+-]+)", text)
    assert chain != 0 and abs(chain - central) < 1e-8
    # the hand-set one-unit GRU keeps "Recife" to the end of the sentence; the plain RNN forgets
    h_gru, h_rnn = numbers(r"GRU h_T = ([0-9.]+), RNN h_T = ([0-9.e+-]+)", text)
    assert h_gru > 0.5 and h_rnn < 0.01
    # worked example: rnnlib.GRU (2 layers, bidirectional) matches torch.nn.GRU
    (lib,) = numbers(r"rnnlib x torch.nn.GRU: ([0-9.e+-]+)", text)
    n_torch, n_lib = numbers(r"parâmetros: torch (\d+), rnnlib (\d+)", text)
    assert lib < 1e-12 and n_torch == n_lib > 0
    # the learner's step backward passes the numerical gradient check (solution run)
    errors = numbers(r"erro relativo: W_hh ([0-9.e+-]+), b_hh ([0-9.e+-]+), "
                     r"h_prev ([0-9.e+-]+)", text)
    assert max(errors) < 1e-7
    # the learner's steps looped over time agree with torch's forward and autograd
    (mine,) = numbers(r"seu passo x torch.nn.GRU: ([0-9.e+-]+)", text)
    (grads,) = numbers(r"gradientes seu código x torch \(autograd\): ([0-9.e+-]+)", text)
    assert mine < 1e-12 and grads < 1e-10
    # parameter counts checked against torch.nn in several configurations
    n_conf, n_bad = numbers(r"conferidas com torch.nn: (\d+), divergências: (\d+)", text)
    assert n_conf >= 15 and n_bad == 0
    # the comparison: similar budget, the plain RNN stays at guessing, both gated nets learn
    counts = [float(c) for c in re.findall(r"^(?:RNN|LSTM|GRU): H = \d+, (\d+) parâmetros",
                                           text, re.M)]
    assert len(counts) == 3 and all(1100 <= c <= 1300 for c in counts), counts
    rnn, lstm, gru = numbers(r"EQM final médio: RNN ([0-9.]+), LSTM ([0-9.]+), GRU ([0-9.]+)",
                             text)
    print(f"EQM final médio: RNN {rnn:.4f}, LSTM {lstm:.4f}, GRU {gru:.4f}")
    assert rnn > 0.1 and lstm < 0.02 and gru < 0.01
    assert _steps("RNN", text) == [None] * 3
    lstm_steps, gru_steps = _steps("LSTM", text), _steps("GRU", text)
    assert None not in lstm_steps + gru_steps and max(gru_steps) < min(lstm_steps)


def test_structure():
    parts = common.check_structure(SOURCE, WRONG)
    text, forbid, cells = parts.text, parts.forbid, parts.cells
    # torch's formula, and the variant the library does not follow
    assert r"r_t \odot \left(W_{hn}\,h_{t-1} + b_{hn}\right)" in text
    assert r"W_{hn}\,(r_t \odot h_{t-1})" in text and "Cho et al., 2014" in text
    assert {"gru_cell_forward", "gru_forward"} <= set(forbid["c06_ex1_resp"]["forbid"])
    assert {"gru_cell_backward", "gru_backward"} <= set(forbid["c06_ex2_resp"]["forbid"])
    assert {"gru_forward", "gru_backward"} <= set(forbid["c06_ex3_resp"]["forbid"])
    assert {"num_parameters", "GRU", "LSTM", "RNN"} <= set(forbid["c06_ex4_resp"]["forbid"])
    # the backward is derived: the stacked gradient equations are not given above exercise 2,
    # only in its hints; every exercise declares its typical mistakes
    before_ex2 = text[:text.index("### Exercício 2")]
    assert r"\delta a^h = [\,\delta a_r" not in before_ex2 and "Dica 3 (as formas)" in text
    assert set(WRONG) == set(EXERCISES) and all(len(w) >= 2 for w in WRONG.values())
    # one word for gate (the glossary's), quiz labels and explanations for every letter
    assert "portão" not in text and "portões" not in text
    assert len(common.check_quizzes(SOURCE)) == 6
    # every visible check compares with a literal value and gives hints in levels
    assert common.check_visible_checks(SOURCE, parts.exercises) >= 14
    # torch, the training loop and the plots run only outside graded runs (demo cells)
    demo = [c for c in cells if "demo" in c["metadata"].get("tags", [])]
    others = [c for c in cells if c["cell_type"] == "code" and c not in demo]
    assert not any(re.search(r"^\s*(import torch|from torch)|plt\.|tqdm\(", "".join(c["source"]),
                             re.M) for c in others)
    assert any("treina(kind, s)" in "".join(c["source"]) for c in demo)


def test_source_scores_full_and_release_zero(cache_dir, tmp_path):
    common.assert_source_scores_full(SOURCE, cache_dir, min_score=17)
    text = common.assert_release_scores_zero(SOURCE, cache_dir, tmp_path,
                                             leaks=("_oculto", "dirs * G * H", "equivocos",
                                                    "step_backward(dhs[t], caches[t])"))
    assert "chave=" in text
    assert not re.search(r'resposta_q\d = \\"[abcd]\\"', text)


@common.wrong_cases(WRONG)
def test_wrong_answer_loses_only_its_points(exercise, desc, code, cache_dir, tmp_path):
    common.assert_loses_only_its_points(SOURCE, exercise, desc, code, cache_dir, tmp_path,
                                        tests=EXERCISES[exercise])


@pytest.mark.parametrize("exercise,code", CHEATS, ids=[e for e, _ in CHEATS])
def test_reference_implementation_is_forbidden(exercise, code, cache_dir, tmp_path):
    common.assert_reference_is_forbidden(SOURCE, exercise, code, cache_dir, tmp_path,
                                         tests=EXERCISES[exercise], others_full=True)
