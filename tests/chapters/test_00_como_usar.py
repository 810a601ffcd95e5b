"""Chapter 00 (Como usar este curso): the notebook runs, has its parts, and the grading catches
typical wrong answers for every exercise."""

from . import common

NOTEBOOK = "00-como-usar"
SOURCE = common.source_path(NOTEBOOK)

# exercise answer cell -> typical wrong answers (description, full cell source)
WRONG = {
    "c00_ex1_resp": [
        ("tira a raiz (norma, não o quadrado)", """
def squared_norm(v):
    return float(np.sqrt(np.sum(np.asarray(v, dtype=float) ** 2)))
"""),
        ("média em vez de soma", """
def squared_norm(v):
    return float(np.mean(np.asarray(v, dtype=float) ** 2))
"""),
    ],
    "c00_ex2_resp": [
        ("valor absoluto", """
def relu(x):
    return np.abs(x)
"""),
        ("máscara em vez do valor", """
def relu(x):
    return (x > 0).astype(float)
"""),
    ],
}


def test_notebook_executes(executed):
    assert not common.error_outputs(executed[0])


def test_structure():
    parts = common.check_structure(SOURCE, WRONG, min_exercises=1)
    assert all(parts.forbid[gid].get("forbid") for gid in parts.exercises)
    for phrase in ("python -m autograder check caminho/do/notebook.ipynb", "autograder release",
                   "autograder grade", "autograder feedback", "Restart Kernel", "Testes ocultos",
                   "SEU CÓDIGO AQUI", "demo"):
        assert phrase in parts.text, phrase


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
