"""Chapter 00 (Como usar este curso): the notebook runs, has its parts, and the grading catches
typical wrong answers for every exercise."""

from . import common

NOTEBOOK = "00-como-usar"
SOURCE = common.source_path(NOTEBOOK)

# exercise answer cell -> typical wrong answers (mensagem, full cell source), declared in the
# notebook's metadata ("equivocos"): the test plants each one
WRONG = common.misconceptions(SOURCE)


def test_notebook_executes(executed):
    assert not common.error_outputs(executed[0])


def test_structure():
    parts = common.check_structure(SOURCE, WRONG, min_exercises=1)
    assert all(parts.forbid[gid].get("forbid") for gid in parts.exercises)
    for phrase in ("python -m autograder check caminho/do/notebook.ipynb", "autograder release",
                   "autograder grade", "autograder feedback", "Kernel → Reiniciar o kernel…",
                   "Kernel → Reiniciar o kernel e executar tudo…", "Testes ocultos",
                   "SEU CÓDIGO AQUI", "demo", "docstring", "exercícios **seguintes**"):
        assert phrase in parts.text, phrase
    assert "Restart" not in parts.text
    # the quiz answer cell is shown as it is released: no NotImplementedError stub
    quiz_text = parts.text[parts.text.index("**Perguntas de múltipla escolha.**"):]
    assert "resposta_c00_q1 = None\n```" in quiz_text
    assert "NotImplementedError" not in quiz_text.split("**Regras")[0]
    assert all(len(WRONG.get(gid, [])) >= 2 for gid in parts.exercises)
    assert common.check_visible_checks(SOURCE, parts.exercises) == 3


def test_quizzes():
    found = common.check_quizzes(SOURCE)
    assert len(found) == 5 and len({key for _, key, _, _ in found}) == 4


def test_figures_and_printed_results(executed):
    nb, _ = executed
    assert common.count_images(nb) >= 1
    assert "c00_q1" in common.outputs_text(nb)


def test_solutions_score_full_marks(cache_dir):
    common.assert_source_scores_full(SOURCE, cache_dir, min_score=7)


def test_untouched_release_scores_zero(cache_dir, tmp_path):
    common.assert_release_scores_zero(SOURCE, cache_dir, tmp_path)


@common.wrong_cases(WRONG)
def test_wrong_answer_loses_only_its_points(exercise, desc, code, cache_dir, tmp_path):
    common.assert_loses_only_its_points(SOURCE, exercise, desc, code, cache_dir, tmp_path)


def test_forbidden_reference_earns_nothing(cache_dir, tmp_path):
    code = ("from rnnlib import functional as F\n\n\ndef relu(x):\n"
            "    return F.relu_forward(x)[0]\n")
    common.assert_reference_is_forbidden(SOURCE, "c00_ex2_resp", code, cache_dir, tmp_path,
                                         others_full=True)
