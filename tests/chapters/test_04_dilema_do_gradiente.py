"""Chapter 4 (O dilema do gradiente): the notebook runs, has its structure and figures, and
grades right.

The per-step gradient norms it prints show vanishing and exploding gradients. Grading proof with
the project's autograder: the source scores full marks, the untouched student release scores 0,
and every typical wrong answer loses its exercise's points and only those.
"""

import re

from . import common

NOTEBOOK = "04-dilema-do-gradiente"
SOURCE = common.source_path(NOTEBOOK)
EXERCISES = {  # answer cell -> its test cells
    f"c04_ex{k}_resp": [f"c04_ex{k}_teste"] for k in range(1, 6)
}

# Typical wrong answers, per exercise: (mensagem, answer cell code), declared in the notebook's
# metadata ("equivocos"); the test plants each one.
WRONG = common.misconceptions(SOURCE)


def test_executes_with_figures(executed):
    nb, _ = executed
    assert common.count_images(nb) >= 3
    text = common.outputs_text(nb)
    norms = {(act, float(rho)): float(v) for act, rho, v in re.findall(
        r"^(linear|tanh|relu)\s+ρ = ([0-9.]+): \|\|dL/dh_1\|\| = ([0-9.e+-]+)$", text, flags=re.M)}
    print(norms)
    assert len(norms) == 12
    # linear: vanishes below 1, explodes above 1, stays order one at 1
    assert norms["linear", 0.5] < 1e-12 and norms["linear", 1.5] > 1e6
    assert 1e-2 < norms["linear", 1.0] < 1e2
    # tanh and relu shrink the gradient at rho = 1; a large radius makes it grow
    assert norms["tanh", 1.0] < 1e-4 and norms["relu", 1.0] < 1e-4
    assert norms["tanh", 2.5] > 1 and norms["relu", 2.5] > 1
    assert "raio espectral de Q: 1.0" in text
    # instability: with rho = 1.8 plain SGD blows up at once; clipping by norm trains
    blow_up = int(re.search(r"sem corte: perda não finita no passo (\d+)", text).group(1))
    clipped = float(re.search(r"corte pela norma \(c = 1\): 150 passos, perda final ([0-9.]+)",
                              text).group(1))
    print(f"sem corte: nan no passo {blow_up}; com corte: perda final {clipped:.3f}")
    assert blow_up <= 10 and clipped < 0.3
    # the widgets (radius, clip threshold) show a still figure where widgets cannot run
    widgets = [o for c in nb.cells if "rnnlib.plotting.interactive(" in c.source
               for o in c.outputs if "image/png" in o.get("data", {})]
    assert len(widgets) == 2
    assert all("application/vnd.jupyter.widget-view+json" in o["data"] for o in widgets)


def test_structure():
    parts = common.check_structure(SOURCE, WRONG, min_exercises=5)
    forbid = parts.forbid
    assert "orthogonal" in forbid["c04_ex3_resp"]["forbid"]
    assert "clip_by_value" in forbid["c04_ex4_resp"]["forbid"]
    assert "clip_by_norm" in forbid["c04_ex5_resp"]["forbid"]
    assert all(len(WRONG.get(gid, [])) >= 2 for gid in parts.exercises)
    assert common.check_visible_checks(SOURCE, parts.exercises) >= 12
    # the answer of exercise 1 is not printed above it; Pascanu's conditions use sigma_max
    text_before_ex1 = parts.text.split("### Exercício 1")[0]
    code_before = "".join("".join(c["source"]) for c in parts.cells[:parts.cells.index(next(
        c for c in parts.cells if "Exercício 1" in "".join(c["source"])))])
    assert "eigvals" not in code_before and "random_with_radius" not in code_before
    assert r"\sigma_{\max}(W_{hh}) < 1/\gamma$ é **suficiente**" in text_before_ex1
    widget_cells = [c for c in parts.cells
                    if c["cell_type"] == "code" and "ipywidgets" in "".join(c["source"])]
    assert widget_cells and all("demo" in c["metadata"].get("tags", []) for c in widget_cells)


def test_source_scores_full_and_release_zero(cache_dir, tmp_path):
    common.assert_source_scores_full(SOURCE, cache_dir, min_score=15)
    common.assert_release_scores_zero(SOURCE, cache_dir, tmp_path)


def test_quizzes():
    found = common.check_quizzes(SOURCE)
    assert len(found) == 4 and len({key for _, key, _, _ in found}) == 4


@common.wrong_cases(WRONG)
def test_wrong_answer_loses_only_its_points(exercise, desc, code, cache_dir, tmp_path):
    common.assert_loses_only_its_points(SOURCE, exercise, desc, code, cache_dir, tmp_path,
                                        tests=EXERCISES[exercise])
