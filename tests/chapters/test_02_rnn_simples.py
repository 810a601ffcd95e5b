"""Chapter 02 (A RNN simples): the notebook runs, has its parts, the claims its prose makes
about what runs hold, and the grading catches typical wrong answers for every exercise."""

import math
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
    parts = common.check_structure(SOURCE, WRONG, min_exercises=5)
    assert parts.exercises == [f"c02_ex{k}_resp" for k in range(1, 6)]
    assert set(WRONG) == set(parts.exercises) and all(len(w) >= 2 for w in WRONG.values())
    text = parts.text
    assert all(parts.forbid[gid].get("forbid") for gid in parts.exercises)
    assert "h_t = f" in text and "V h_t + c" in text and "softmax" in text
    assert "sushi" in text and "muitos-para-um" in text and "um-para-muitos" in text
    assert len(common.check_quizzes(SOURCE)) == 6
    # every visible check compares with a literal value and gives hints in levels, none code
    assert common.check_visible_checks(SOURCE, parts.exercises) >= 14
    # exercise 4 is one output head for both arrangements (it merged two one-line heads)
    head = common.answer_source(SOURCE, "c02_ex4_resp")
    assert "def output_head(hs, V, c, arranjo)" in head and head.count("@ V.T") == 1
    assert len(WRONG["c02_ex4_resp"]) >= 4
    points = {common._nbgrader(c)["grade_id"]: common._nbgrader(c).get("points", 0)
              for c in parts.cells if common._nbgrader(c).get("grade")}
    assert points["c02_ex4_teste"] == 4 and "c02_ex6_teste" not in points
    # the learner's head is used later, both ways, by the demos
    demos = "\n".join("".join(c["source"]) for c in parts.cells
                      if "demo" in c["metadata"].get("tags", []))
    assert '"muitos-para-um")  # a SUA cabeça' in demos and '"muitos-para-muitos")' in demos
    assert "rnn_step(" in demos  # sampling with the learner's own step


def test_figures_and_printed_results(executed):
    nb, _ = executed
    out = common.outputs_text(nb)
    # dados sequenciais, RNN desenrolada, memória, widget, arquiteturas, curva de perda
    assert common.count_images(nb) >= 6
    drawn = [o for c in nb.cells if "plot_unrolled_rnn(" in c.source
             for o in c.outputs if "image/png" in o.get("data", {})]
    assert len(drawn) == 1
    diff = re.search(r"maior diferença entre a camada e rnn_sequence: (\S+)", out).group(1)
    assert float(diff) < 1e-12
    # the same parameters whatever the length of the sequence
    runs = re.findall(r"T = +(\d+): estados \((\d+), 2, 4\), a mesma camada, (\d+) parâmetros", out)
    assert [(t, s) for t, s, _ in runs] == [("6", "6"), ("60", "60"), ("600", "600")]
    assert {n for _, _, n in runs} == {"36"}
    # the two forms of the step give the same state
    sep = re.search(r"forma separada: +(\[.*\])", out).group(1)
    assert sep == re.search(r"forma concatenada: +(\[.*\])", out).group(1)
    # the head demo: shapes, distributions, the last step of many-to-many is many-to-one
    assert "muitos-para-um: (2, 3) | muitos-para-muitos: (6, 2, 3)" in out
    assert "cada distribuição soma 1: True" in out
    assert "último passo do muitos-para-muitos == muitos-para-um: True" in out
    # sentence completion: the memory of "sushi" reaches the last step
    loss = float(re.search(r"perda média nos últimos 50 passos: ([0-9.]+)", out).group(1))
    assert loss < 0.05
    assert "acertos: 15/15" in out


def test_memory_of_an_impulse_matches_the_prose(executed):
    """c17/c19: below 1 the memory fades (fast at 0.5, still there after 40 steps at 0.9),
    above 1 it does not fade; H changes the details, not the trend."""
    nb, _ = executed
    out = common.outputs_text(nb)
    rows = {float(rho): re.findall(r"H = +(\d+): +(passo \d+|nunca) \(([0-9.e+-]+)\)", line)
            for rho, line in re.findall(r"^ρ = ([0-9.]+): (.*)$", out, re.M)}
    assert sorted(rows) == [0.5, 0.9, 1.2] and all(len(r) == 3 for r in rows.values())
    for _, when, last in rows[0.5]:
        assert when.startswith("passo") and 8 <= int(when.split()[1]) <= 15, rows[0.5]
        assert float(last) < 1e-9
    assert all(when == "nunca" and float(last) > 1e-3 for _, when, last in rows[0.9]), rows[0.9]
    assert all(when == "nunca" and float(last) > 0.1 for _, when, last in rows[1.2]), rows[1.2]
    # the widget (rho, H) keeps a still figure where widgets cannot run (the site)
    widgets = [o for c in nb.cells if "rnnlib.plotting.interactive(" in c.source
               for o in c.outputs if "image/png" in o.get("data", {})]
    assert len(widgets) == 1
    assert "application/vnd.jupyter.widget-view+json" in widgets[0]["data"]


def test_names_model_matches_the_prose(executed):
    """c56: the loss falls from about ln 27 (3,3 nats) to near 2,1; samples look like names
    (letters, a name's length); the many-to-many head beats a uniform guess by far."""
    nb, _ = executed
    out = common.outputs_text(nb)
    first, last, uniform = map(float, re.search(
        r"perda: ([0-9.]+) no começo, ([0-9.]+) no fim \(chute uniforme: ln 27 = ([0-9.]+)\)",
        out).groups())
    assert abs(uniform - math.log(27)) < 0.01 and abs(first - uniform) < 0.1
    assert 1.9 < last < 2.3, last
    samples = re.search(r"nomes amostrados: (.*)$", out, re.M).group(1).split(", ")
    assert len(samples) == 12 and all(re.fullmatch(r"[a-z]{2,16}", s) for s in samples), samples
    probs = [float(p) for p in re.findall(r"depois de +\S+: P\('.'\) = ([0-9.]+)", out)]
    assert len(probs) == len("mariana") + 1
    mean = float(re.search(r"média: ([0-9.]+) \(chute uniforme: 0.04\)", out).group(1))
    assert mean > 5 / 27 and abs(mean - sum(probs) / len(probs)) < 0.01


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
