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
    "c10_ex5_resp": ["c10_ex5_teste"],
}

# Typical wrong answers, per exercise: (message, answer cell code), declared in the notebook.
WRONG = common.misconceptions(SOURCE)


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
    # the learner's transformer block = torch.nn.TransformerEncoderLayer with the same weights
    assert common.number(r"x torch.nn.TransformerEncoderLayer \(máscara causal\): ([0-9.e+-]+)",
                         text) < 1e-10
    # Keras, torch and rnnlib: the Keras weights give the same predictions in the other two,
    # and the same model trained in each of the three learns the adding problem
    to_torch = common.number(r"no torch.nn.LSTM: maior diferença nas previsões ([0-9.e+-]+)", text)
    to_lib = common.number(r"na rnnlib.LSTM: maior diferença nas previsões ([0-9.e+-]+)", text)
    assert to_torch < 1e-4 and to_lib < 1e-4
    k, t, r, base = common.numbers(r"EQM de teste: Keras ([0-9.]+), torch ([0-9.]+), rnnlib "
                                   r"([0-9.]+) \(responder sempre 1: ([0-9.]+)\)", text)
    print(f"soma T=10, EQM: Keras {k}, torch {t}, rnnlib {r} (sempre 1: {base})")
    assert max(k, t, r) < base / 3
    # the CNN+RNN hybrid: about the same error as the GRU alone, in less training time
    gru_err, gru_s = common.numbers(r"só GRU \(120 passos\): erro médio do período na validação = "
                                    r"([0-9.]+) passos; treino ([0-9.]+) s", text)
    hyb_err, hyb_s = common.numbers(r"Conv1D \+ GRU \(29 passos\): erro médio do período na "
                                    r"validação = ([0-9.]+) passos; treino ([0-9.]+) s", text)
    mean_err = common.number(r"prever sempre a média: erro médio = ([0-9.]+) passos", text)
    assert max(gru_err, hyb_err) < mean_err / 3 and hyb_err < 1.5 * gru_err and hyb_s < gru_s
    # the torch classifier: h[-1] of an unpacked padded batch reads the padding; packed it does not
    unpacked = common.number(r"h\[-1\] sem empacotar x sequência sozinha: ([0-9.e+-]+)", text)
    packed = common.number(r"com pack_padded_sequence x sequência sozinha: ([0-9.e+-]+)", text)
    assert unpacked > 1e-3 and packed < 1e-12


def test_structure():
    parts = common.check_structure(SOURCE, WRONG)
    text, forbid = parts.text, parts.forbid
    for word in ("Input", "LSTM", "Sequential", "compile", "fit", "evaluate", "predict"):
        assert word in text, word
    code = "\n".join("".join(c["source"]) for c in parts.cells if c["cell_type"] == "code")
    # Keras 3 runs for real, on the torch backend (no TensorFlow)
    assert "import keras" in code and "tensorflow" not in code
    assert 'os.environ.setdefault("KERAS_BACKEND", "torch")' in code
    assert "EchoStateNetwork" in forbid["c10_ex1_resp"]["forbid"]
    # the ESN normalises with the training years only (chapter 07's rule); Deep Speech 2 used
    # bidirectional simple-RNN/GRU layers; chapter 04's spectral-radius exercise is not repeated
    assert "treino.mean(), treino.std()" in code and "series.mean()" not in code
    assert "LSTMs bidirecionais, como no Deep Speech 2" not in text and "GRUs, e não" in text
    assert "def scale_to_spectral_radius" not in code
    assert "pack_padded_sequence(" in text
    assert set(WRONG) == set(EXERCISES) and all(len(w) >= 2 for w in WRONG.values())
    assert len(common.check_quizzes(SOURCE)) == 6
    assert common.check_visible_checks(SOURCE, parts.exercises) >= 15
    assert "EchoStateNetwork" in forbid["c10_ex2_resp"]["forbid"]
    assert "torch" in forbid["c10_ex3_resp"]["forbid"]


def test_source_scores_full_and_release_zero(cache_dir, tmp_path):
    common.assert_source_scores_full(SOURCE, cache_dir, min_score=18)
    common.assert_release_scores_zero(SOURCE, cache_dir, tmp_path,
                                      leaks=("np.linalg.solve(Z.T", "equivocos"))


@common.wrong_cases(WRONG)
def test_wrong_answer_loses_only_its_points(exercise, desc, code, cache_dir, tmp_path):
    common.assert_loses_only_its_points(SOURCE, exercise, desc, code, cache_dir, tmp_path,
                                        tests=EXERCISES[exercise])
