"""Chapter 8 (RNN bidirecional): the notebook runs, has its structure and figures, and grades right.

Grading proof with the project's autograder: the source scores full marks, the untouched student
release scores 0, and every typical wrong answer loses its exercise's points and only those.
"""

import re

from . import common

NOTEBOOK = "08-rnn-bidirecional"
SOURCE = common.source_path(NOTEBOOK)
EXERCISES = {  # answer cell -> its test cells
    "c08_ex1_resp": ["c08_ex1_teste"],
    "c08_ex2_resp": ["c08_ex2_teste"],
    "c08_ex3_resp": ["c08_ex3_teste"],
    "c08_ex4_resp": ["c08_ex4_teste"],
    "c08_ex5_resp": ["c08_ex5_teste"],
}

# Typical wrong answers, per exercise: (message, answer cell code), declared in the notebook.
WRONG = common.misconceptions(SOURCE)


def test_executes_with_figures(executed):
    nb, _ = executed
    assert common.count_images(nb) >= 5
    text = common.outputs_text(nb)
    # stacked: two calls of the learner's birnn_forward = rnnlib.RNN(num_layers=2) with lengths
    assert common.number(r"x rnnlib.RNN\(num_layers=2\): ([0-9.e+-]+)", text) < 1e-12
    # the Keras go_backwards recipe: position 0 sees only the last input instead of all of them
    right, recipe = common.numbers(r"posição 0 depende de (\d+) entradas \(certo\) e de (\d+)",
                                   text)
    assert right == 7 and recipe == 1
    # the library's bidirectional layer is two F.rnn_forward passes, the second reversed
    m = re.search(r"diferença máxima para a camada: ([0-9.e+-]+)", text)
    assert m and float(m.group(1)) < 1e-12
    # padded batches: lengths= matches each sequence alone; the naive flip does not
    for _naive, with_len in re.findall(r"ingênuo = ([0-9.e+-]+)\s+com lengths = ([0-9.e+-]+)",
                                      text):
        assert float(with_len) < 1e-12
    assert max(float(a) for a, _ in re.findall(
        r"ingênuo = ([0-9.e+-]+)\s+com lengths = ([0-9.e+-]+)", text)) > 1e-3
    # the hand-written backward passes the numerical gradient check
    errors = re.findall(r"^(?:dx|dh0|W_hh \(f\)|W_ih \(b\)|b_hh \(b\))\s+([0-9.e+-]+)$", text,
                        flags=re.M)
    assert len(errors) == 5 and max(float(e) for e in errors) < 1e-7
    # future context: the bidirectional tagger wins clearly
    uni = float(re.search(r"unidirecional: acurácia de validação = ([0-9.]+)", text).group(1))
    bi = float(re.search(r"bidirecional: acurácia de validação = ([0-9.]+)", text).group(1))
    print(f"acurácia unidirecional {uni:.3f}, bidirecional {bi:.3f}")
    assert bi >= 0.95 and uni <= 0.70


def test_structure():
    parts = common.check_structure(SOURCE, WRONG)
    forbid = parts.forbid
    assert all("RNN" in forbid[f"c08_ex{k}_resp"]["forbid"] for k in (2, 3, 4))
    assert set(WRONG) == set(EXERCISES) and all(len(w) >= 2 for w in WRONG.values())
    assert "RNNs empilhadas" in parts.text and "go_backwards=True" in parts.text
    assert len(common.check_quizzes(SOURCE)) == 7
    # every visible check compares with a literal value and gives hints in levels
    assert common.check_visible_checks(SOURCE, parts.exercises) >= 19


def test_source_scores_full_and_release_zero(cache_dir, tmp_path):
    common.assert_source_scores_full(SOURCE, cache_dir, min_score=19)
    text = common.assert_release_scores_zero(SOURCE, cache_dir, tmp_path, leaks=("_rev_ok", "equivocos"))
    assert "chave=" in text


@common.wrong_cases(WRONG)
def test_wrong_answer_loses_only_its_points(exercise, desc, code, cache_dir, tmp_path):
    common.assert_loses_only_its_points(SOURCE, exercise, desc, code, cache_dir, tmp_path,
                                        tests=EXERCISES[exercise])


def test_library_layer_with_lengths_is_forbidden(cache_dir, tmp_path):
    cheat = '''
def birnn_forward(x, lengths, h0, params_f, params_b):
    layer = rnnlib.RNN(x.shape[2], h0.shape[2], bidirectional=True)
    names = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")
    for suffix, p in (("", params_f), ("_reverse", params_b)):
        for name, v in zip(names, p, strict=True):
            layer.params[name + suffix] = v
    out, h_n = layer.forward(x, h0, lengths=lengths)
    return out, h_n, None
'''
    common.assert_reference_is_forbidden(SOURCE, "c08_ex2_resp", cheat, cache_dir, tmp_path,
                                         tests=EXERCISES["c08_ex2_resp"])
