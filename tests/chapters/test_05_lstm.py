"""Chapter 5 (LSTM): the notebook runs, has its structure and figures, and grades right.

Grading proof with the project's autograder: the source scores full marks, the untouched student
release scores 0, and every typical wrong answer loses its exercise's points and only those.
"""

import json
import re

import pytest

from autograder.grading import grade_notebook, substitute_answer

from .conftest import COURSE, count_images, outputs_text

NOTEBOOK = "05-lstm"
SOURCE = COURSE / NOTEBOOK / f"{NOTEBOOK}.ipynb"
EXERCISES = {  # answer cell -> its test cells
    f"c05_ex{k}_resp": [f"c05_ex{k}_teste"] for k in range(1, 6)
}


def _answer_source(grade_id):
    """The solution of an answer cell, without the BEGIN/END SOLUTION markers."""
    nb = json.loads(SOURCE.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == grade_id:
            src = "".join(cell["source"])
            return re.sub(r"[ \t]*### (BEGIN|END) SOLUTION\n", "", src)
    raise KeyError(grade_id)


def _mutate(grade_id, *edits):
    """The solution with each (old, new) fragment replaced; every fragment must be present."""
    src = _answer_source(grade_id)
    for old, new in edits:
        assert old in src, f"{grade_id}: trecho {old!r} não está na solução"
        src = src.replace(old, new)
    return src


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


def _release(src_path, out_path):
    """The student version: solution regions replaced, hidden tests removed (as nbgrader does)."""
    nb = json.loads(src_path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        src = re.sub(r"### BEGIN SOLUTION.*?### END SOLUTION",
                     "# SEU CÓDIGO AQUI\nraise NotImplementedError()", src, flags=re.S)
        src = re.sub(r"### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS\n?", "", src, flags=re.S)
        cell["source"] = src
    out_path.write_text(json.dumps(nb, ensure_ascii=False), encoding="utf-8")
    return out_path


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("grade-cache")


def _grade(path, cache_dir):
    return grade_notebook(SOURCE, path, cache_dir=cache_dir)


def _number(pattern, text):
    m = re.search(pattern, text)
    assert m, f"saída esperada não encontrada: {pattern}"
    return [float(g) for g in m.groups()]


def test_executes_with_figures(executed):
    nb, seconds = executed
    print(f"\n{NOTEBOOK}: executado em {seconds:.1f} s")
    assert count_images(nb) >= 4
    text = outputs_text(nb)
    # the hand-set one-unit LSTM keeps "gato" to the end; the plain RNN forgets it
    c_T, h_rnn = _number(r"LSTM c_T = ([0-9.]+), RNN h_T = ([0-9.e+-]+)", text)
    assert c_T > 0.5 and h_rnn < 0.01
    # the learner's hand-written BPTT passes the numerical gradient check (solution run)
    errors = _number(r"erro relativo: W_hh ([0-9.e+-]+), x ([0-9.e+-]+), h0 ([0-9.e+-]+)", text)
    assert max(errors) < 1e-7
    # learner's sequence and rnnlib agree with torch.nn.LSTM to float64 rounding
    (mine,) = _number(r"seu código x torch:\s+([0-9.e+-]+)", text)
    (lib,) = _number(r"rnnlib x torch:\s+([0-9.e+-]+)", text)
    (grads,) = _number(r"gradientes seu código x rnnlib: ([0-9.e+-]+)", text)
    assert mine < 1e-12 and lib < 1e-12 and grads < 1e-10
    # the adding problem: the LSTM learns it, the plain RNN stays near guessing (1/6)
    lstm, rnn = _number(r"LSTM ([0-9.]+), RNN ([0-9.]+)\n", text)
    print(f"EQM final: LSTM {lstm:.4f}, RNN {rnn:.4f}")
    assert lstm < 0.02 and rnn > 0.1
    # gradient reaching step 1 of 100: vanished in the RNN, alive in the LSTM
    g_rnn, g_lstm = _number(r"passo T: RNN ([0-9.e+-]+), LSTM ([0-9.e+-]+)", text)
    print(f"gradiente passo 1 / passo T: RNN {g_rnn:.1e}, LSTM {g_lstm:.1e}")
    assert g_rnn < 1e-10 and g_lstm > 1e-3


def test_structure():
    nb = json.loads(SOURCE.read_text(encoding="utf-8"))
    text = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    assert "Objetivos de aprendizagem" in text and "Para saber mais" in text
    assert "peixe" in text and "esteira" in text
    meta = [c["metadata"].get("nbgrader", {}) for c in nb["cells"]]
    ids = [m["grade_id"] for m in meta if m]
    assert len(ids) == len(set(ids))
    answers = [c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("solution")]
    quizzes = [c for c in answers if "resposta_" in "".join(c["source"])]
    assert len(answers) - len(quizzes) >= 3 and len(quizzes) >= 4
    assert all(c.get("outputs") == [] and c.get("execution_count") is None
               for c in nb["cells"] if c["cell_type"] == "code")
    forbid = {c["metadata"]["nbgrader"]["grade_id"]: c["metadata"].get("autograder", {})
              for c in answers}
    assert "lstm_cell_forward" in forbid["c05_ex1_resp"]["forbid"]
    assert "lstm_cell_backward" in forbid["c05_ex2_resp"]["forbid"]
    assert {"lstm_forward", "lstm_cell_forward"} <= set(forbid["c05_ex3_resp"]["forbid"])
    assert {"lstm_backward", "lstm_cell_backward"} <= set(forbid["c05_ex4_resp"]["forbid"])
    # torch is imported only inside the parity exercise
    torch_cells = [c for c in nb["cells"] if c["cell_type"] == "code"
                   and re.search(r"^\s*(import torch|from torch)", "".join(c["source"]), re.M)]
    assert [c["metadata"]["nbgrader"]["grade_id"] for c in torch_cells] == ["c05_ex5_resp"]


def test_source_scores_full_and_release_zero(cache_dir, tmp_path):
    full = _grade(SOURCE, cache_dir)
    assert full.status == "ok", (full.reasons, full.notes)
    assert full.score == full.max_score >= 15
    assert all(c.status == "passed" for c in full.cells)
    release = _grade(_release(SOURCE, tmp_path / "release.ipynb"), cache_dir)
    assert release.score == 0, release.scores()


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
