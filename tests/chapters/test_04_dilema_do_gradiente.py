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
    "c04_ex1_resp": ["c04_ex1_teste"],
    "c04_ex2_resp": ["c04_ex2_teste"],
    "c04_ex3_resp": ["c04_ex3_teste"],
    "c04_ex4_resp": ["c04_ex4_teste"],
}

_RADIUS = "def scale_to_spectral_radius(W, rho):\n    return W * (rho / {denom})\n"
_ORTHO = '''
def random_orthogonal(n, rng, gain=1.0):
    A = rng.standard_normal((n, n))
    Q, R = np.linalg.qr(A)
    Q = {fix}
    return {ret}
'''
_OK_ORTHO = dict(fix="Q * np.sign(np.diag(R))", ret="gain * Q")
_NORM = '''
def clip_global_norm(grads, max_norm):
    norm = float(np.sqrt(sum(np.sum(g**2) for g in grads.values())))
    scale = {scale}
    return {{k: g * scale for k, g in grads.items()}}, norm
'''

# Typical wrong answers, per exercise: (description, answer cell code).
WRONG = {
    "c04_ex1_resp": [
        ("divide pela maior norma singular (norma 2) em vez do raio espectral",
         _RADIUS.format(denom="np.linalg.norm(W, 2)")),
        ("divide pelo maior elemento em módulo",
         _RADIUS.format(denom="np.max(np.abs(W))")),
        ("só multiplica por rho", _RADIUS.format(denom="1.0")),
    ],
    "c04_ex2_resp": [
        ("esquece a correção de sinais", _ORTHO.format(**(_OK_ORTHO | dict(fix="Q")))),
        ("normaliza as colunas de A em vez de usar Q (não é ortogonal)",
         _ORTHO.format(**(_OK_ORTHO | dict(fix="A / np.linalg.norm(A, axis=0)")))),
        ("esquece o ganho", _ORTHO.format(**(_OK_ORTHO | dict(ret="Q")))),
    ],
    "c04_ex3_resp": [
        ("corta só por cima",
         "def clip_values(grads, c):\n    return {k: np.minimum(g, c) for k, g in grads.items()}\n"),
        ("altera os arrays recebidos",
         "def clip_values(grads, c):\n"
         "    return {k: np.clip(g, -c, c, out=g) for k, g in grads.items()}\n"),
        ("corta pela norma em vez de por valor",
         "def clip_values(grads, c):\n"
         "    return {k: g * min(1.0, c / np.linalg.norm(g)) for k, g in grads.items()}\n"),
    ],
    "c04_ex4_resp": [
        ("corta cada elemento quando a norma foi pedida",
         "def clip_global_norm(grads, max_norm):\n"
         "    norm = float(np.sqrt(sum(np.sum(g**2) for g in grads.values())))\n"
         "    return {k: np.clip(g, -max_norm, max_norm) for k, g in grads.items()}, norm\n"),
        ("norma de cada array em separado, não a global",
         "def clip_global_norm(grads, max_norm):\n"
         "    out = {k: g * min(1.0, max_norm / np.linalg.norm(g)) for k, g in grads.items()}\n"
         "    return out, float(np.sqrt(sum(np.sum(g**2) for g in grads.values())))\n"),
        ("reescala sempre, mesmo abaixo do limite",
         _NORM.format(scale="max_norm / norm")),
    ],
}


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
    # the slider is there (a widget), and its cell is a demo
    assert "FloatSlider" in text


def test_structure():
    parts = common.check_structure(SOURCE, WRONG)
    forbid = parts.forbid
    assert "orthogonal" in forbid["c04_ex2_resp"]["forbid"]
    assert "clip_by_value" in forbid["c04_ex3_resp"]["forbid"]
    assert "clip_by_norm" in forbid["c04_ex4_resp"]["forbid"]
    widget_cells = [c for c in parts.cells
                    if c["cell_type"] == "code" and "ipywidgets" in "".join(c["source"])]
    assert widget_cells and all("demo" in c["metadata"].get("tags", []) for c in widget_cells)


def test_source_scores_full_and_release_zero(cache_dir, tmp_path):
    common.assert_source_scores_full(SOURCE, cache_dir, min_score=12)
    common.assert_release_scores_zero(SOURCE, cache_dir, tmp_path)


@common.wrong_cases(WRONG)
def test_wrong_answer_loses_only_its_points(exercise, desc, code, cache_dir, tmp_path):
    common.assert_loses_only_its_points(SOURCE, exercise, desc, code, cache_dir, tmp_path,
                                        tests=EXERCISES[exercise])
