"""Chapter 7 (Aplicações e prática): the notebook runs, has its structure and figures, and grades
right.

Grading proof with the project's autograder: the source scores full marks, the untouched student
release scores 0, and every typical wrong answer loses its exercise's points and only those.
"""

import re

from . import common
from .common import number

NOTEBOOK = "07-aplicacoes"
SOURCE = common.source_path(NOTEBOOK)
EXERCISES = {  # answer cell -> its test cells
    "c07_ex1_resp": ["c07_ex1_teste"],
    "c07_ex2_resp": ["c07_ex2_teste"],
    "c07_ex3_resp": ["c07_ex3_teste"],
    "c07_ex4_resp": ["c07_ex4_teste"],
    "c07_ex5_resp": ["c07_ex5_teste"],
}

# Typical wrong answers, per exercise: (message, answer cell code), declared in the notebook.
WRONG = common.misconceptions(SOURCE)


def test_executes_with_figures(executed):
    nb, _ = executed
    assert not common.error_outputs(nb)
    assert common.count_images(nb) >= 8
    text = common.outputs_text(nb)
    # the learner's masked loss matches the library's, and so do the windows
    assert number(r"maior diferença no gradiente: ([0-9.e+-]+)", text) < 1e-12
    assert "as suas janelas coincidem com as da biblioteca: True" in text
    # names -> sex (IBGE): better than the majority class and than "ends with a"
    acc = number(r"acurácia de validação = ([0-9.]+)", text)
    base, rule = common.numbers(r"classe majoritária = ([0-9.]+); termina em a = ([0-9.]+)\)",
                                text)
    print(f"classificador {acc:.3f} (majoritária {base:.3f}, termina em a {rule:.3f})")
    assert acc >= rule + 0.05 and rule > base
    assert text.count("P(feminino) = ") == 8
    # forecasting: the GRU beats persistence, which beats the mean
    m = re.search(r"MAE média = ([0-9.]+)\s+persistência = ([0-9.]+)\s+GRU = ([0-9.]+)", text)
    assert m
    mean_mae, persist_mae, gru_mae = map(float, m.groups())
    print(f"MAE média {mean_mae}, persistência {persist_mae}, GRU {gru_mae}")
    assert gru_mae < 0.75 * persist_mae < persist_mae < mean_mae
    # char model: the loss falls well below the uniform guess
    first = number(r"perda inicial ([0-9.]+)", text)
    last = number(r"final ([0-9.]+)", text)
    print(f"modelo de caracteres: perda {first:.2f} -> {last:.2f}")
    assert last < first - 1.0
    # held-out perplexity: e^loss, well below the uniform guess over the V symbols
    loss_va, ppl, V = common.numbers(r"validação: perda ([0-9.]+) nats, perplexidade ([0-9.]+) "
                                     r"\(sortear entre os (\d+)", text)
    assert abs(ppl - 2.718281828 ** loss_va) < 0.1 * ppl and ppl < V / 3
    assert text.count("--- tau = ") == 4
    # hyperparameter search: both searches report a best configuration that beats persistence
    bests = [float(x) for x in re.findall(r"melhor da busca em \w+: .*MAE = ([0-9.]+)", text)]
    assert len(bests) == 2 and max(bests) < persist_mae


def test_structure():
    parts = common.check_structure(SOURCE, WRONG)
    text, forbid = parts.text, parts.forbid
    assert "Vocab" in forbid["c07_ex1_resp"]["forbid"]
    assert "pad_sequences" in forbid["c07_ex2_resp"]["forbid"]
    assert "softmax_cross_entropy_forward" in forbid["c07_ex3_resp"]["forbid"]
    assert "make_windows" in forbid["c07_ex4_resp"]["forbid"]
    assert "sample_next" in forbid["c07_ex5_resp"]["forbid"]
    # Portuguese data and terms, decimal commas in prose
    assert "names_by_sex" in "\n".join("".join(c["source"]) for c in parts.cells)
    assert not re.search(r"many-to|one-to-", text) and "muitos-para-um" in text
    assert "[0{,}0001; 0{,}1]" in text and "0.01" not in text
    assert set(WRONG) == set(EXERCISES) and all(len(w) >= 2 for w in WRONG.values())
    assert len(common.check_quizzes(SOURCE)) == 7
    assert common.check_visible_checks(SOURCE, parts.exercises) >= 20
    # training cells use tqdm (through training.fit or directly)
    code = "\n".join("".join(c["source"]) for c in parts.cells if c["cell_type"] == "code")
    assert "training.fit(" in code and "tqdm(" in code


def test_source_scores_full_and_release_zero(cache_dir, tmp_path):
    common.assert_source_scores_full(SOURCE, cache_dir, min_score=17)
    common.assert_release_scores_zero(SOURCE, cache_dir, tmp_path, leaks=("equivocos",))


def test_forbidden_reference_earns_nothing(cache_dir, tmp_path):
    code = ("def build_windows(series, window, horizon=1):\n"
            "    X, Y = rnnlib.datasets.make_windows(np.asarray(series, dtype=float), window,"
            " horizon)\n"
            "    return X, Y[:, -1]\n")
    common.assert_reference_is_forbidden(SOURCE, "c07_ex4_resp", code, cache_dir, tmp_path,
                                         tests=EXERCISES["c07_ex4_resp"], others_full=True)


@common.wrong_cases(WRONG)
def test_wrong_answer_loses_only_its_points(exercise, desc, code, cache_dir, tmp_path):
    common.assert_loses_only_its_points(SOURCE, exercise, desc, code, cache_dir, tmp_path,
                                        tests=EXERCISES[exercise])
