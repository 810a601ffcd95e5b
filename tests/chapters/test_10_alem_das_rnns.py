"""Chapter 10 (Além das RNNs): the notebook runs, has its structure and figures, and grades right.

Grading proof with the project's autograder: the source scores full marks, the untouched student
release scores 0, and every typical wrong answer loses its exercise's points and only those.
"""

import re

from . import common

NOTEBOOK = "10-alem-das-rnns"
SOURCE = common.source_path(NOTEBOOK)
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


def test_executes_with_figures(executed):
    nb, _ = executed
    assert common.count_images(nb) >= 3
    text = common.outputs_text(nb)
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
    parts = common.check_structure(SOURCE, WRONG)
    text, forbid = parts.text, parts.forbid
    for word in ("Input", "LSTM", "Sequential", "compile", "fit", "evaluate", "predict"):
        assert word in text, word
    code = "\n".join("".join(c["source"]) for c in parts.cells if c["cell_type"] == "code")
    assert "import keras" not in code and "tensorflow" not in code  # Keras only in markdown
    assert "EchoStateNetwork" in forbid["c10_ex1_resp"]["forbid"]
    assert "EchoStateNetwork" in forbid["c10_ex2_resp"]["forbid"]
    assert "torch" in forbid["c10_ex3_resp"]["forbid"]


def test_source_scores_full_and_release_zero(cache_dir, tmp_path):
    common.assert_source_scores_full(SOURCE, cache_dir, min_score=15)
    common.assert_release_scores_zero(SOURCE, cache_dir, tmp_path,
                                      leaks=("np.linalg.solve(Z.T",))


@common.wrong_cases(WRONG)
def test_wrong_answer_loses_only_its_points(exercise, desc, code, cache_dir, tmp_path):
    common.assert_loses_only_its_points(SOURCE, exercise, desc, code, cache_dir, tmp_path,
                                        tests=EXERCISES[exercise])
