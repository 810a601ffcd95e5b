"""Chapter 02 (A RNN simples): the notebook runs, has its parts, and the grading catches
typical wrong answers for every exercise."""

import re

from . import common

NOTEBOOK = "02-rnn-simples"
SOURCE = common.source_path(NOTEBOOK)

# exercise answer cell -> typical wrong answers (message, full cell source), declared in the
# notebook's metadata (autograder.equivocos): the self-check names them, the grading catches them
WRONG = common.misconceptions(SOURCE)


def test_notebook_executes(executed):
    assert not common.error_outputs(executed[0])


def test_structure():
    parts = common.check_structure(SOURCE, WRONG)
    assert set(WRONG) == set(parts.exercises) and all(len(w) >= 2 for w in WRONG.values())
    text = parts.text
    assert all(parts.forbid[gid].get("forbid") for gid in parts.exercises)
    assert "h_t = f" in text and "V h_t + c" in text and "softmax" in text
    assert "sushi" in text and "muitos-para-um" in text and "um-para-muitos" in text
    assert len(common.check_quizzes(SOURCE)) == 6


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
