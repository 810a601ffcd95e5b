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
    f"c03_ex{k}_resp": [f"c03_ex{k}_teste"] for k in range(1, 5)
}
LOSS_BOUND = 2.2  # the notebook states: validation loss below 2.2 nats per character
PERPLEXITY_BOUND = 9  # and a perplexity below 9

# Typical wrong answers, per exercise: (mensagem, answer cell code), declared in the notebook's
# metadata ("equivocos"); the test plants each one.
WRONG = common.misconceptions(SOURCE)


def test_executes_with_figures_and_names(executed):
    nb, _ = executed
    # unrolled RNN, contributions to dW_hh, unrolled with gradient, truncation widget (still
    # figure), optimizers, loss curve of the learner's own model
    assert common.count_images(nb) >= 6
    text = common.outputs_text(nb)
    widget = [o for c in nb.cells if "interactive(" in c.source
              for o in c.outputs if "image/png" in o.get("data", {})]
    assert len(widget) == 1 and "application/vnd.jupyter.widget-view+json" in widget[0]["data"]
    # the truncation prose: far from the full gradient at k = 1, equal to it at k = T
    errs = {int(k): float(e) for k, e in re.findall(
        r"k = +(\d+): erro relativo de dW_hh = ([0-9.]+)", text)}
    assert errs[1] > 0.2 and errs[24] < 1e-12 and set(errs) == {1, 4, 12, 24}
    # the backward arrows of the unrolled diagram: the gradient reaching h_1 is the smallest
    norms = [float(v) for v in re.search(r"\|\|dL/dh_t\|\|, t = 1..T: \[([^\]]+)\]",
                                          text).group(1).split()]
    assert len(norms) == 6 and norms[0] < norms[-1]
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
    perplexity = float(re.search(r"perplexidade de validação: ([0-9.]+)", text).group(1))
    assert abs(perplexity - 2.718281828 ** val) < 0.01 and perplexity < PERPLEXITY_BOUND
    # sampled names are shown: 20 lines of lower-case letters, some of them invented
    block = text.split("Nomes amostrados (* = inventado, fora do censo):")[1]
    sampled = re.findall(r"^  ([a-z]+)( \*)?$", block, flags=re.M)[:20]
    print("amostras:", ", ".join(n for n, _ in sampled))
    assert len(sampled) == 20
    assert sum(1 for n, _ in sampled if 2 <= len(n) <= 14) >= 16
    assert len({n for n, _ in sampled}) >= 15


def test_structure():
    parts = common.check_structure(SOURCE, WRONG, min_exercises=4)
    forbid = parts.forbid
    assert "rnn_cell_backward" in forbid["c03_ex1_resp"]["forbid"]
    assert "rnn_backward" in forbid["c03_ex2_resp"]["forbid"]
    assert forbid["c03_ex3_resp"]["forbid"] == []  # may use exercise 2's reference
    assert "Adam" in forbid["c03_ex4_resp"]["forbid"]
    assert all(len(WRONG.get(gid, [])) >= 2 for gid in parts.exercises)
    assert common.check_visible_checks(SOURCE, parts.exercises) >= 15
    text = parts.text
    # derivation, not transcription: the recurrence and the sums over time are not printed
    assert r"W_{hh}^{\top}\Big(\delta_{t+1}" not in text
    assert r"\sum_{t=1}^{T} \mathrm{d}a_t\, h_{t-1}^{\top}" not in text
    assert "Exemplo resolvido: uma unidade, dois passos" in text and "que média" not in text
    # chapter 01 already has the numerical-gradient exercise; truncated BPTT is the learner's loop
    sources = ["".join(c["source"]) for c in parts.cells]
    assert not any("def numeric_gradient" in s or "def rnn_window" in s for s in sources)
    assert "-ana" not in text  # the sampled endings are not promised (they vary)
    # the character model trains with the learner's rnn_bptt and adam_step
    assert any("rnn_bptt(dhs, xs, h0, hs" in s and "def loss_and_grads" in s for s in sources)
    assert any("adam_step(params_lm[k]" in s for s in sources)
    # the names come from the library's loader; training and sampling are demos
    code = {"".join(c["source"]): c["metadata"].get("tags", []) for c in parts.cells
            if c["cell_type"] == "code"}
    assert any("rnnlib.datasets import names" in s and "demo" in t for s, t in code.items())
    assert any("tqdm(" in s and "demo" in t for s, t in code.items())


def test_quizzes():
    found = common.check_quizzes(SOURCE)
    assert len(found) == 5 and len({key for _, key, _, _ in found}) == 4


def test_source_scores_full_and_release_zero(cache_dir, tmp_path):
    common.assert_source_scores_full(SOURCE, cache_dir, min_score=14)
    common.assert_release_scores_zero(SOURCE, cache_dir, tmp_path)


@common.wrong_cases(WRONG)
def test_wrong_answer_loses_only_its_points(exercise, desc, code, cache_dir, tmp_path):
    common.assert_loses_only_its_points(SOURCE, exercise, desc, code, cache_dir, tmp_path,
                                        tests=EXERCISES[exercise])
