"""Chapter 10 (Além das RNNs): the notebook runs, has its structure and figures, and grades right.

Grading proof with the project's autograder: the source scores full marks, the untouched student
release scores 0, and every typical wrong answer loses its exercise's points and only those.
"""

import importlib.util
import json
import re
from pathlib import Path

import pytest

from autograder.grading import grade_notebook, substitute_answer
from autograder.release import release

_spec = importlib.util.spec_from_file_location("chapters_conftest",
                                               Path(__file__).with_name("conftest.py"))
_helpers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_helpers)
COURSE, count_images, outputs_text = _helpers.COURSE, _helpers.count_images, _helpers.outputs_text

NOTEBOOK = "10-alem-das-rnns"
SOURCE = COURSE / NOTEBOOK / f"{NOTEBOOK}.ipynb"
EXERCISES = {  # answer cell -> its test cells
    "c10_ex1_resp": ["c10_ex1_teste"],
    "c10_ex2_resp": ["c10_ex2_teste"],
    "c10_ex3_resp": ["c10_ex3_teste"],
    "c10_ex4_resp": ["c10_ex4_teste"],
}

_ATT = '''
def sdp_attention(Q, K, V, mask=None):
    scores = Q @ K.T{scale}
    if mask is not None:
        {masking}
    scores = scores - scores.max(axis={ax}, keepdims=True)
    weights = np.exp(scores)
    weights = weights / weights.sum(axis={ax}, keepdims=True)
    {after}
    return weights @ V, weights
'''
_OK_ATT = dict(scale=" / np.sqrt(Q.shape[-1])", ax="-1", after="",
               masking="scores = np.where(mask, scores, -np.inf)")

_PE = '''
def sinusoidal_pe(T, d):
    pos = np.arange(T)[:, None]
    two_i = np.arange(0, d, 2)[None, :]
    angles = pos / 10000 ** ({expo})
    pe = np.zeros((T, d))
    {fill}
    return pe
'''
_OK_FILL = "pe[:, 0::2] = np.sin(angles)\n    pe[:, 1::2] = np.cos(angles[:, : d // 2])"

# Typical wrong answers, per exercise: (description, answer cell code).
WRONG = {
    "c10_ex1_resp": [
        ("divide pela maior parte real dos autovalores, não pelo módulo",
         "def scale_to_spectral_radius(W, rho):\n"
         "    return W * (rho / np.max(np.linalg.eigvals(W).real))\n"),
        ("divide pela norma espectral (maior valor singular) em vez do raio espectral",
         "def scale_to_spectral_radius(W, rho):\n"
         "    return W * (rho / np.linalg.norm(W, 2))\n"),
        ("divide pelo maior elemento em módulo",
         "def scale_to_spectral_radius(W, rho):\n"
         "    return W * (rho / np.max(np.abs(W)))\n"),
        ("modifica W no lugar",
         "def scale_to_spectral_radius(W, rho):\n"
         "    W *= rho / np.max(np.abs(np.linalg.eigvals(W)))\n    return W\n"),
    ],
    "c10_ex2_resp": [
        ("ignora a regularização (mínimos quadrados comuns)",
         "def ridge_readout(Z, Y, lam):\n"
         "    return np.linalg.solve(Z.T @ Z, Z.T @ Y).T\n"),
        ("soma lam a todos os elementos de Z^T Z em vez da diagonal",
         "def ridge_readout(Z, Y, lam):\n"
         "    return np.linalg.solve(Z.T @ Z + lam, Z.T @ Y).T\n"),
        ("devolve W_out transposta (R, K)",
         "def ridge_readout(Z, Y, lam):\n"
         "    return np.linalg.solve(Z.T @ Z + lam * np.eye(Z.shape[1]), Z.T @ Y)\n"),
    ],
    "c10_ex3_resp": [
        ("esquece de dividir por sqrt(d_k)", _ATT.format(**(_OK_ATT | dict(scale="")))),
        ("divide por d_k em vez de sqrt(d_k)",
         _ATT.format(**(_OK_ATT | dict(scale=" / Q.shape[-1]")))),
        ("softmax no eixo das consultas (eixo 0)", _ATT.format(**(_OK_ATT | dict(ax="0")))),
        ("aplica a máscara depois da softmax, sem renormalizar",
         _ATT.format(**(_OK_ATT | dict(masking="pass",
                                       after="weights = weights * mask if mask is not None "
                                             "else weights")))),
    ],
    "c10_ex4_resp": [
        ("expoente i/d em vez de 2i/d", _PE.format(expo="two_i / 2 / d", fill=_OK_FILL)),
        ("seno e cosseno trocados",
         _PE.format(expo="two_i / d", fill="pe[:, 0::2] = np.cos(angles)\n"
                                           "    pe[:, 1::2] = np.sin(angles[:, : d // 2])")),
        ("senos e cossenos concatenados em vez de intercalados",
         _PE.format(expo="two_i / d",
                    fill="h = angles.shape[1]\n    pe[:, :h] = np.sin(angles)\n"
                         "    pe[:, h:] = np.cos(angles[:, : d // 2])")),
    ],
}


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("grade-cache")


def _grade(path, cache_dir):
    return grade_notebook(SOURCE, path, cache_dir=cache_dir)


def test_executes_with_figures(executed):
    nb, seconds = executed
    print(f"\n{NOTEBOOK}: executado em {seconds:.1f} s")
    assert count_images(nb) >= 3
    text = outputs_text(nb)
    esn, persist = (float(v) for v in re.search(
        r"RMSE no teste: ESN = ([0-9.]+)\s+persistência = ([0-9.]+)", text).groups())
    print(f"manchas solares, RMSE: ESN {esn:.1f}, persistência {persist:.1f}")
    assert esn < 0.8 * persist
    lib = float(re.search(r"RMSE no teste com rnnlib.EchoStateNetwork = ([0-9.]+)", text).group(1))
    assert lib < 0.8 * persist
    # rnnlib on torch tensors matches torch.nn.LSTM (float32) and its backward runs there too
    diff = float(re.search(r"maior diferença para torch.nn.LSTM \(float32\): ([0-9.e+-]+)",
                           text).group(1))
    assert diff < 1e-5
    assert "gradiente de x: Tensor" in text
    print(re.search(r"forward: rnnlib .*", text).group(0))


def test_structure():
    nb = json.loads(SOURCE.read_text(encoding="utf-8"))
    text = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    assert "Objetivos de aprendizagem" in text and "Para saber mais" in text
    for word in ("Input", "LSTM", "Sequential", "compile", "fit", "evaluate", "predict"):
        assert word in text, word
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    assert "import keras" not in code and "tensorflow" not in code  # Keras only in markdown
    ids = [c["metadata"]["nbgrader"]["grade_id"] for c in nb["cells"]
           if "nbgrader" in c["metadata"]]
    assert len(ids) == len(set(ids))
    answers = [c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("solution")]
    quizzes = [c for c in answers if "resposta_" in "".join(c["source"])]
    assert len(answers) - len(quizzes) >= 3 and len(quizzes) >= 4
    assert all(c.get("outputs") == [] and c.get("execution_count") is None
               for c in nb["cells"] if c["cell_type"] == "code")
    forbid = {c["metadata"]["nbgrader"]["grade_id"]: c["metadata"].get("autograder", {})
              for c in answers}
    assert "EchoStateNetwork" in forbid["c10_ex1_resp"]["forbid"]
    assert "EchoStateNetwork" in forbid["c10_ex2_resp"]["forbid"]
    assert "torch" in forbid["c10_ex3_resp"]["forbid"]


def test_source_scores_full_and_release_zero(cache_dir, tmp_path):
    full = _grade(SOURCE, cache_dir)
    assert full.status == "ok", full.reasons
    assert full.score == full.max_score >= 15
    assert all(c.status == "passed" for c in full.cells)
    (released,) = release(COURSE, tmp_path, NOTEBOOK)
    text = released.read_text(encoding="utf-8")
    assert "BEGIN SOLUTION" not in text and "np.linalg.solve(Z.T" not in text
    graded = _grade(released, cache_dir)
    assert graded.status == "ok", graded.reasons
    assert graded.score == 0, graded.scores()


CASES = [(ex, desc, code) for ex, wrongs in WRONG.items() for desc, code in wrongs]


@pytest.mark.parametrize("exercise,desc,code", CASES, ids=[f"{e}-{i}" for e, ws in WRONG.items()
                                                           for i in range(len(ws))])
def test_wrong_answer_loses_only_its_points(exercise, desc, code, cache_dir, tmp_path):
    path = substitute_answer(SOURCE, exercise, code, tmp_path / "wrong.ipynb")
    result = _grade(path, cache_dir)
    for cell in result.cells:
        if cell.grade_id in EXERCISES[exercise]:
            assert cell.points == 0, f"{desc}: {cell.grade_id} ainda pontua"
        else:
            assert cell.points == cell.max_points, f"{desc}: {cell.grade_id} perdeu pontos"
