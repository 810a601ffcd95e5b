"""Chapter 5 (LSTM): the notebook runs, has its structure and figures, and grades right.

Grading proof with the project's autograder: the source scores full marks, the untouched student
release scores 0, and every typical wrong answer loses its exercise's points and only those.
"""

import re
from functools import partial

from . import common
from .common import numbers

NOTEBOOK = "05-lstm"
SOURCE = common.source_path(NOTEBOOK)
EXERCISES = {  # answer cell -> its test cells
    f"c05_ex{k}_resp": [f"c05_ex{k}_teste"] for k in range(1, 6)
}


_mutate = partial(common.mutate, SOURCE)


# Typical wrong answers, per exercise: (description, answer cell code).
WRONG = {
    "c05_ex1_resp": [
        ("h = o * c, sem a tangente do estado da célula",
         _mutate("c05_ex1_resp", ("h = o * np.tanh(c)", "h = o * c"))),
        ("blocos na ordem i, g, f, o em vez de i, f, g, o",
         _mutate("c05_ex1_resp", ("f = sigmoid(a[:, H:2 * H])", "f = sigmoid(a[:, 2 * H:3 * H])"),
                 ("g = np.tanh(a[:, 2 * H:3 * H])", "g = np.tanh(a[:, H:2 * H])"))),
        ("esquece o portão de entrada: c = f * c_prev + g",
         _mutate("c05_ex1_resp", ("c = f * c_prev + i * g", "c = f * c_prev + g"))),
    ],
    "c05_ex2_resp": [
        ("dc_total ignora o caminho por h_t = o * tanh(c_t)",
         _mutate("c05_ex2_resp",
                 ("dc_total = dc + dh * o * (1 - tanh_c ** 2)", "dc_total = dc + dh * o"))),
        ("esquece a derivada da sigmoide no portão de esquecimento",
         _mutate("c05_ex2_resp",
                 ("da_f = dc_total * c_prev * f * (1 - f)", "da_f = dc_total * c_prev"))),
        ("dW_ih transposto (x^T da)",
         _mutate("c05_ex2_resp", ("dW_ih = da.T @ x", "dW_ih = x.T @ da"))),
    ],
    "c05_ex3_resp": [
        ("não carrega c: usa c0 em todos os passos",
         _mutate("c05_ex3_resp", ("step_forward(x[t], h, c,", "step_forward(x[t], h, c0,"))),
        ("guarda em hs[t] o estado de antes do passo",
         _mutate("c05_ex3_resp",
                 ("        h, c, cache = step_forward(x[t], h, c, W_ih, W_hh, b_ih, b_hh)\n"
                  "        hs[t] = h\n",
                  "        hs[t] = h\n"
                  "        h, c, cache = step_forward(x[t], h, c, W_ih, W_hh, b_ih, b_hh)\n"))),
    ],
    "c05_ex4_resp": [
        ("gradientes dos pesos não somados no tempo (fica só o de t = 0)",
         _mutate("c05_ex4_resp", ("grads[k] += g[k]", "grads[k] = g[k]"))),
        ("usa só dhs[t], sem o gradiente que volta de t + 1",
         _mutate("c05_ex4_resp", ("step_backward(dh + dhs[t], dc,",
                                  "step_backward(dhs[t], dc,"))),
        ("não carrega dc para trás pela esteira",
         _mutate("c05_ex4_resp", ("step_backward(dh + dhs[t], dc,",
                                  "step_backward(dh + dhs[t], dc * 0,"))),
    ],
    "c05_ex5_resp": [
        ("soma os vieses em bias_ih e deixa bias_hh com o valor aleatório do torch",
         _mutate("c05_ex5_resp",
                 ("lstm.bias_ih_l0.copy_(torch.from_numpy(b_ih))",
                  "lstm.bias_ih_l0.copy_(torch.from_numpy(b_ih + b_hh))"),
                 ("        lstm.bias_hh_l0.copy_(torch.from_numpy(b_hh))\n", ""))),
        ("estado inicial na ordem (c0, h0)",
         _mutate("c05_ex5_resp", ("state = (torch.from_numpy(h0).unsqueeze(0), "
                                  "torch.from_numpy(c0).unsqueeze(0))",
                                  "state = (torch.from_numpy(c0).unsqueeze(0), "
                                  "torch.from_numpy(h0).unsqueeze(0))"))),
        ("módulo em float32 (o padrão do torch)",
         _mutate("c05_ex5_resp",
                 ("lstm = torch.nn.LSTM(D, H, dtype=torch.float64)", "lstm = torch.nn.LSTM(D, H)"),
                 ("lstm(torch.from_numpy(x), state)",
                  "lstm(torch.from_numpy(x).float(), tuple(s.float() for s in state))"),
                 ("hs, h_T, c_T = out.numpy(), h_n[0].numpy(), c_n[0].numpy()",
                  "hs, h_T, c_T = (out.double().numpy(), h_n[0].double().numpy(),\n"
                  "                    c_n[0].double().numpy())"))),
    ],
}


def test_executes_with_figures(executed):
    nb, _ = executed
    assert common.count_images(nb) >= 4
    text = common.outputs_text(nb)
    # the hand-set one-unit LSTM keeps "gato" to the end; the plain RNN forgets it
    c_T, h_rnn = numbers(r"LSTM c_T = ([0-9.]+), RNN h_T = ([0-9.e+-]+)", text)
    assert c_T > 0.5 and h_rnn < 0.01
    # the learner's hand-written BPTT passes the numerical gradient check (solution run)
    errors = numbers(r"erro relativo: W_hh ([0-9.e+-]+), x ([0-9.e+-]+), h0 ([0-9.e+-]+)", text)
    assert max(errors) < 1e-7
    # learner's sequence and rnnlib agree with torch.nn.LSTM to float64 rounding
    (mine,) = numbers(r"seu código x torch:\s+([0-9.e+-]+)", text)
    (lib,) = numbers(r"rnnlib x torch:\s+([0-9.e+-]+)", text)
    (grads,) = numbers(r"gradientes seu código x rnnlib: ([0-9.e+-]+)", text)
    assert mine < 1e-12 and lib < 1e-12 and grads < 1e-10
    # the adding problem: the LSTM learns it, the plain RNN stays near guessing (1/6)
    lstm, rnn = numbers(r"LSTM ([0-9.]+), RNN ([0-9.]+)\n", text)
    print(f"EQM final: LSTM {lstm:.4f}, RNN {rnn:.4f}")
    assert lstm < 0.02 and rnn > 0.1
    # gradient reaching step 1 of 100: vanished in the RNN, alive in the LSTM
    g_rnn, g_lstm = numbers(r"passo T: RNN ([0-9.e+-]+), LSTM ([0-9.e+-]+)", text)
    print(f"gradiente passo 1 / passo T: RNN {g_rnn:.1e}, LSTM {g_lstm:.1e}")
    assert g_rnn < 1e-10 and g_lstm > 1e-3


def test_structure():
    parts = common.check_structure(SOURCE, WRONG)
    text, forbid = parts.text, parts.forbid
    assert "peixe" in text and "esteira" in text
    assert "lstm_cell_forward" in forbid["c05_ex1_resp"]["forbid"]
    assert "lstm_cell_backward" in forbid["c05_ex2_resp"]["forbid"]
    assert {"lstm_forward", "lstm_cell_forward"} <= set(forbid["c05_ex3_resp"]["forbid"])
    assert {"lstm_backward", "lstm_cell_backward"} <= set(forbid["c05_ex4_resp"]["forbid"])
    # torch is imported only inside the parity exercise
    torch_cells = [c for c in parts.cells if c["cell_type"] == "code"
                   and re.search(r"^\s*(import torch|from torch)", "".join(c["source"]), re.M)]
    assert [c["metadata"]["nbgrader"]["grade_id"] for c in torch_cells] == ["c05_ex5_resp"]


def test_source_scores_full_and_release_zero(cache_dir, tmp_path):
    common.assert_source_scores_full(SOURCE, cache_dir, min_score=15)
    common.assert_release_scores_zero(SOURCE, cache_dir, tmp_path)


@common.wrong_cases(WRONG)
def test_wrong_answer_loses_only_its_points(exercise, desc, code, cache_dir, tmp_path):
    common.assert_loses_only_its_points(SOURCE, exercise, desc, code, cache_dir, tmp_path,
                                        tests=EXERCISES[exercise])
