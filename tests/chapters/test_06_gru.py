"""Chapter 6 (GRU): the notebook runs, has its structure and figures, and grades right.

Grading proof with the project's autograder: the source scores full marks, the untouched student
release scores 0, and every typical wrong answer loses its exercise's points and only those.
"""

import re
from functools import partial

import pytest

from . import common
from .common import numbers

NOTEBOOK = "06-gru"
SOURCE = common.source_path(NOTEBOOK)
EXERCISES = {  # answer cell -> its test cells
    f"c06_ex{k}_resp": [f"c06_ex{k}_teste"] for k in range(1, 4)
}


_mutate = partial(common.mutate, SOURCE)


# Typical wrong answers, per exercise: (description, answer cell code).
WRONG = {
    "c06_ex1_resp": [
        ("reset antes do produto pela matriz (a variante de Cho et al. / d2l)",
         _mutate("c06_ex1_resp", ("n = np.tanh(ax[:, 2 * H:] + r * hn)",
                                  "n = np.tanh(ax[:, 2 * H:] + (r * h_prev) @ W_hh[2 * H:].T"
                                  " + b_hh[2 * H:])"))),
        ("papéis de z e 1 - z trocados: h = z * n + (1 - z) * h_prev",
         _mutate("c06_ex1_resp", ("h = (1 - z) * n + z * h_prev", "h = z * n + (1 - z) * h_prev"))),
        ("blocos na ordem z, r, n em vez de r, z, n",
         _mutate("c06_ex1_resp", ("r = sigmoid(ax[:, :H] + ah[:, :H])",
                                  "r = sigmoid(ax[:, H:2 * H] + ah[:, H:2 * H])"),
                 ("z = sigmoid(ax[:, H:2 * H] + ah[:, H:2 * H])",
                  "z = sigmoid(ax[:, :H] + ah[:, :H])"))),
    ],
    "c06_ex2_resp": [
        ("db_hh igual a db_ih, como na LSTM (esquece o fator r no bloco n)",
         _mutate("c06_ex2_resp", ("db_hh = dah.sum(axis=0)", "db_hh = dax.sum(axis=0)"))),
        ("dh_prev sem o caminho direto dh * z",
         _mutate("c06_ex2_resp", ("dh_prev = dh * z + dah @ W_hh", "dh_prev = dah @ W_hh"))),
        ("sinal trocado no portão de atualização: (n - h_prev)",
         _mutate("c06_ex2_resp", ("da_z = dh * (h_prev - n)", "da_z = dh * (n - h_prev)"))),
    ],
    "c06_ex3_resp": [
        ("um só viés por bloco: G * H * (D + H + 1)",
         _mutate("c06_ex3_resp", ("(D_k + H + 2)", "(D_k + H + 1)"))),
        ("camadas seguintes leem H entradas mesmo na bidirecional",
         _mutate("c06_ex3_resp", ("D_k = D if k == 0 else dirs * H", "D_k = D if k == 0 else H"))),
        ("esquece a segunda direção",
         _mutate("c06_ex3_resp", ("total += dirs * G * H", "total += G * H"))),
    ],
}

# Answers that call the reference implementation: (answer cell, code).
CHEATS = [
    ("c06_ex1_resp", "def gru_step_forward(x, h_prev, W_ih, W_hh, b_ih, b_hh):\n"
                     "    h, c = F.gru_cell_forward(x, h_prev, W_ih, W_hh, b_ih, b_hh)\n"
                     "    H = h.shape[1]\n"
                     "    r, z, n = (c.gates[:, k * H:(k + 1) * H] for k in range(3))\n"
                     "    return h, (x, h_prev, r, z, n, c.hw_n, W_ih, W_hh)\n"),
    ("c06_ex3_resp", "def count_params(kind, D, H, num_layers=1, bidirectional=False):\n"
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
    assert common.count_images(nb) >= 4
    text = common.outputs_text(nb)
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
    assert {"num_parameters", "GRU", "LSTM", "RNN"} <= set(forbid["c06_ex3_resp"]["forbid"])
    # torch, the training loop and the plots run only outside graded runs (demo cells)
    demo = [c for c in cells if "demo" in c["metadata"].get("tags", [])]
    others = [c for c in cells if c["cell_type"] == "code" and c not in demo]
    assert not any(re.search(r"^\s*(import torch|from torch)|plt\.|tqdm\(", "".join(c["source"]),
                             re.M) for c in others)
    assert any("treina(kind, s)" in "".join(c["source"]) for c in demo)


def test_source_scores_full_and_release_zero(cache_dir, tmp_path):
    common.assert_source_scores_full(SOURCE, cache_dir, min_score=14)
    text = common.assert_release_scores_zero(SOURCE, cache_dir, tmp_path,
                                             leaks=("_oculto", "dirs * G * H"))
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
