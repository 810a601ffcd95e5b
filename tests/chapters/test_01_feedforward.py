"""Chapter 01 (Redes feedforward e retropropagação): the notebook runs, has its parts, and the
grading catches the typical wrong answers the notebook declares for every exercise."""

import re

from . import common

NOTEBOOK = "01-feedforward"
SOURCE = common.source_path(NOTEBOOK)

# exercise answer cell -> typical wrong answers (mensagem, full cell source), declared in the
# notebook's metadata ("equivocos"): the test plants each one
WRONG = common.misconceptions(SOURCE)


def test_notebook_executes(executed):
    # the visible checks compare with literal values: running the solutions keeps them in step
    assert not common.error_outputs(executed[0])
    print(f"01 executado em {executed[1]:.1f} s")


def test_structure():
    parts = common.check_structure(SOURCE, WRONG, min_exercises=5)
    text = parts.text
    assert all(parts.forbid[gid].get("forbid") for gid in parts.exercises)
    assert all(len(WRONG.get(gid, [])) >= 2 for gid in parts.exercises), WRONG.keys()
    assert "regra da cadeia" in text and "diferença central" in text.lower()
    assert "A maçã é" in text and "vermelha" in text
    # derivation, not transcription: the backward formulas of the exercises are not printed
    for formula in (r"dy\, W", r"dy^\top x", r"(p - \text{one-hot}", r"dW_2 = d\hat y^\top h",
                    r"da = dh \odot"):
        assert formula not in text, formula
    assert "Exemplo resolvido: um neurônio" in text and "Exemplo resolvido, com duas classes" in text
    assert common.check_visible_checks(SOURCE, parts.exercises) >= 14


def test_quizzes():
    found = common.check_quizzes(SOURCE)
    assert len(found) == 5 and len({key for _, key, _, _ in found}) == 4


def test_figures_and_printed_results(executed):
    nb, _ = executed
    out = common.outputs_text(nb)
    # ativações, diferenças finitas, grafo da MLP, treino, taxa de aprendizado (imagem estática
    # do controle), janelas
    assert common.count_images(nb) >= 6
    widget = [o for c in nb.cells if "interactive(treino_com_taxa" in c.source
              for o in c.outputs if "image/png" in o.get("data", {})]
    assert len(widget) == 1 and "application/vnd.jupyter.widget-view+json" in widget[0]["data"]
    for name in ("dW", "dx"):
        err = re.search(rf"erro relativo {name}: (\S+)", out).group(1)
        assert float(err) < 1e-8
    assert re.search(r"maior \|dW1\| liga a entrada \d ao neurônio oculto \d", out)
    loss = float(re.search(r"perda final da MLP: ([0-9.]+)", out).group(1))
    assert loss < 0.005
    p1 = float(re.search(r"janela de 1: depois de 'é', P\(vermelha\) = ([0-9.]+)", out).group(1))
    p2 = float(re.search(r"janela de 2: depois de 'maçã é', P\(vermelha\) = ([0-9.]+)", out).group(1))
    assert p1 < 0.35 and p2 > 0.9


def test_solutions_score_full_marks(cache_dir):
    common.assert_source_scores_full(SOURCE, cache_dir, min_score=19)


def test_untouched_release_scores_zero(cache_dir, tmp_path):
    common.assert_release_scores_zero(SOURCE, cache_dir, tmp_path)


@common.wrong_cases(WRONG)
def test_wrong_answer_loses_only_its_points(exercise, desc, code, cache_dir, tmp_path):
    common.assert_loses_only_its_points(SOURCE, exercise, desc, code, cache_dir, tmp_path)


def test_forbidden_reference_earns_nothing(cache_dir, tmp_path):
    code = ("def dense_forward(x, W, b):\n"
            "    return F.linear_forward(x, W, b)[0]\n")
    common.assert_reference_is_forbidden(SOURCE, "c01_ex1_resp", code, cache_dir, tmp_path)
