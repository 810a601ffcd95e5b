"""Chapter 5 (LSTM): the notebook runs, has its structure and figures, and grades right.

Grading proof with the project's autograder: the source scores full marks, the untouched student
release scores 0, and every typical wrong answer loses its exercise's points and only those.
"""

import re

from . import common
from .common import numbers

NOTEBOOK = "05-lstm"
SOURCE = common.source_path(NOTEBOOK)
EXERCISES = {  # answer cell -> its test cells
    f"c05_ex{k}_resp": [f"c05_ex{k}_teste"] for k in range(1, 6)
}


# Typical wrong answers, per exercise: (mensagem, answer cell code), declared in the notebook's
# metadata ("equivocos"); the test plants each one.
WRONG = common.misconceptions(SOURCE)


def test_executes_with_figures(executed):
    nb, _ = executed
    # Tom, Tom's bias widget (still figure), the cell diagram, adding problem, gradient, gates
    assert common.count_images(nb) >= 6
    text = common.outputs_text(nb)
    widget = [o for c in nb.cells if "interactive(" in c.source
              for o in c.outputs if "image/png" in o.get("data", {})]
    assert len(widget) == 1 and "application/vnd.jupyter.widget-view+json" in widget[0]["data"]
    # the diagram's prose: with the forget bias at 2 the forget gate is drawn bright (near 1)
    i_mean, f_mean, o_mean = numbers(r"média das portas: i ([0-9.]+), f ([0-9.]+), o ([0-9.]+)",
                                     text)
    assert f_mean > 0.7 and f_mean > max(i_mean, o_mean)
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
    parts = common.check_structure(SOURCE, WRONG, min_exercises=5)
    text, forbid = parts.text, parts.forbid
    assert all(len(WRONG.get(gid, [])) >= 2 for gid in parts.exercises)
    assert common.check_visible_checks(SOURCE, parts.exercises) >= 18
    # derivation, not transcription: the step's backward formulas are not printed
    for formula in (r"\delta a^i &=", r"\delta a^f &=", r"\widetilde{\delta c}_t =",
                    r"\delta c_{t-1} = \widetilde", r"\delta W_{ih} = \delta a^\top"):
        assert formula not in text, formula
    assert "Exemplo resolvido: a porta de saída" in text
    # one vocabulary (course/GLOSSARIO.md)
    everything = "".join("".join(c["source"]) for c in parts.cells)
    for banned in ("portão", "portões", "*forward*", "*backward*"):
        assert banned not in everything, banned
    assert "peixe" in text and "esteira" in text
    assert "lstm_cell_forward" in forbid["c05_ex1_resp"]["forbid"]
    assert "lstm_cell_backward" in forbid["c05_ex2_resp"]["forbid"]
    assert {"lstm_forward", "lstm_cell_forward"} <= set(forbid["c05_ex3_resp"]["forbid"])
    assert {"lstm_backward", "lstm_cell_backward"} <= set(forbid["c05_ex4_resp"]["forbid"])
    # torch is optional (issue 20): no bare import; the parity exercise asks for it with
    # rnnlib.require_torch, the demo after it with rnnlib.optional_torch
    code = {i: "".join(c["source"]) for i, c in enumerate(parts.cells) if c["cell_type"] == "code"}
    assert not [s for s in code.values() if re.search(r"^\s*(import torch|from torch)", s, re.M)]
    required = [parts.cells[i]["metadata"]["nbgrader"]["grade_id"] for i, s in code.items()
                if "require_torch(" in s]
    # the test cell seeds torch's own draws (so a bias left at torch's random value gives
    # the same visible value as in the reference, and the self-check names that mistake)
    assert required == ["c05_ex5_resp", "c05_ex5_teste"]
    assert any("optional_torch(" in s for s in code.values())


def test_quizzes():
    found = common.check_quizzes(SOURCE)
    assert len(found) == 7
    questions = " ".join(common.cells(SOURCE)[i]["source"][0] for i, c in enumerate(
        common.cells(SOURCE)) if c["cell_type"] == "markdown"
        and "".join(c["source"]).startswith("**Pergunta"))
    for gate in ("porta de esquecimento", "porta de entrada", "porta de saída"):
        assert gate in questions, gate  # a question per gate


def test_source_scores_full_and_release_zero(cache_dir, tmp_path):
    common.assert_source_scores_full(SOURCE, cache_dir, min_score=18)
    common.assert_release_scores_zero(SOURCE, cache_dir, tmp_path)


@common.wrong_cases(WRONG)
def test_wrong_answer_loses_only_its_points(exercise, desc, code, cache_dir, tmp_path):
    common.assert_loses_only_its_points(SOURCE, exercise, desc, code, cache_dir, tmp_path,
                                        tests=EXERCISES[exercise])
