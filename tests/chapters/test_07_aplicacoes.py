"""Chapter 7 (Aplicações e prática): the notebook runs, has its structure and figures, and grades
right.

Grading proof with the project's autograder: the source scores full marks, the untouched student
release scores 0, and every typical wrong answer loses its exercise's points and only those.
"""

import re

from . import common
from .common import number

NOTEBOOK = "07-aplicacoes"
SOURCE = common.source_path(NOTEBOOK)
EXERCISES = {  # answer cell -> its test cells
    "c07_ex1_resp": ["c07_ex1_teste"],
    "c07_ex2_resp": ["c07_ex2_teste"],
    "c07_ex3_resp": ["c07_ex3_teste"],
    "c07_ex4_resp": ["c07_ex4_teste"],
}

_PAD = '''
def pad_batch(seqs, pad_id=0):
    N, T = len(seqs), max(len(s) for s in seqs)
    ids = np.full((N, T), pad_id, dtype=np.int64)
    for n, s in enumerate(seqs):
        ids[n, {where}] = s
    mask = {mask}
    return ids, mask
'''
_OK_PAD = dict(where=": len(s)", mask="(np.arange(T)[None, :] < np.array([len(s) for s in seqs])"
               "[:, None]).astype(float)")

_MCE = '''
def masked_cross_entropy(logits, targets, mask):
    T, N, C = logits.shape
    z = logits{shift}
    p = np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True)
    picked = p[np.arange(T)[:, None], np.arange(N)[None, :], targets]
    count = {count}
    loss = -(np.log(picked) * mask).sum() / count
    d = p.copy()
    d[np.arange(T)[:, None], np.arange(N)[None, :], targets] -= 1.0
    d *= {dmask}
    return loss, d
'''
_OK_MCE = dict(shift=" - logits.max(axis=-1, keepdims=True)", count="mask.sum()",
               dmask="(mask / count)[..., None]")

_WIN = '''
def build_windows(series, window, horizon=1):
    series = np.asarray(series, dtype=float)
    M = {M}
    X = np.stack([series[i : i + window] for i in range(M)])
    y = np.array([series[{target}] for i in range(M)])
    return X, y
'''
_OK_WIN = dict(M="len(series) - window - horizon + 1", target="i + window + horizon - 1")

_TEMP = '''
def temperature_probs(logits, temperature=1.0, top_k=None):
    z = np.asarray(logits, dtype=float) {op} temperature
    if top_k is not None:
        kth = np.sort(z, axis=-1)[..., -top_k][..., None]
        z = np.where(z {cmp} kth, z, -np.inf)
    z = z{shift}
    p = np.exp(z)
    return p / p.sum(axis=-1, keepdims=True)
'''
_OK_TEMP = dict(op="/", cmp=">=", shift=" - z.max(axis=-1, keepdims=True)")

# Typical wrong answers, per exercise: (description, answer cell code).
WRONG = {
    "c07_ex1_resp": [
        ("máscara tirada dos valores (ids != pad_id): um token real igual a pad_id some",
         _PAD.format(**(_OK_PAD | dict(mask="(ids != pad_id).astype(float)")))),
        ("preenche à esquerda",
         _PAD.format(**(_OK_PAD | dict(where="T - len(s) :", mask="(np.arange(T)[None, :] >= "
                                       "T - np.array([len(s) for s in seqs])[:, None])"
                                       ".astype(float)")))),
        ("máscara invertida (1 no preenchimento)",
         _PAD.format(**(_OK_PAD | dict(mask="(np.arange(T)[None, :] >= np.array([len(s) for s "
                                       "in seqs])[:, None]).astype(float)")))),
    ],
    "c07_ex2_resp": [
        ("divide por T*N em vez do número de posições reais",
         _MCE.format(**(_OK_MCE | dict(count="mask.size")))),
        ("não mascara o gradiente",
         _MCE.format(**(_OK_MCE | dict(dmask="1.0 / count")))),
        ("esquece o fator 1/(soma da máscara) no gradiente",
         _MCE.format(**(_OK_MCE | dict(dmask="mask[..., None]")))),
        ("softmax sem subtrair o máximo (estoura com logits grandes)",
         _MCE.format(**(_OK_MCE | dict(shift="")))),
    ],
    "c07_ex3_resp": [
        ("o alvo é o último valor da janela (vazamento)",
         _WIN.format(**(_OK_WIN | dict(target="i + window - 1")))),
        ("ignora o horizonte no alvo",
         _WIN.format(**(_OK_WIN | dict(target="i + window")))),
        ("uma janela a menos (M = L - window - horizon)",
         _WIN.format(**(_OK_WIN | dict(M="len(series) - window - horizon")))),
    ],
    "c07_ex4_resp": [
        ("multiplica pela temperatura em vez de dividir",
         _TEMP.format(**(_OK_TEMP | dict(op="*")))),
        ("top-k com > em vez de >= (guarda k - 1 símbolos)",
         _TEMP.format(**(_OK_TEMP | dict(cmp=">")))),
        ("zera fora do top-k depois da softmax, sem renormalizar",
         "def temperature_probs(logits, temperature=1.0, top_k=None):\n"
         "    z = np.asarray(logits, dtype=float) / temperature\n"
         "    p = np.exp(z - z.max(axis=-1, keepdims=True))\n"
         "    p = p / p.sum(axis=-1, keepdims=True)\n"
         "    if top_k is not None:\n"
         "        kth = np.sort(p, axis=-1)[..., -top_k][..., None]\n"
         "        p = np.where(p >= kth, p, 0.0)\n"
         "    return p\n"),
        ("sem subtrair o máximo (estoura com temperatura pequena)",
         _TEMP.format(**(_OK_TEMP | dict(shift="")))),
    ],
}


def test_executes_with_figures(executed):
    nb, _ = executed
    assert not common.error_outputs(nb)
    assert common.count_images(nb) >= 8
    text = common.outputs_text(nb)
    # the learner's masked loss matches the library's, and so do the windows
    assert number(r"maior diferença no gradiente: ([0-9.e+-]+)", text) < 1e-12
    assert "as suas janelas coincidem com as da biblioteca: True" in text
    # classifier: better than always answering the majority class
    acc = number(r"acurácia de validação = ([0-9.]+)", text)
    base = number(r"classe majoritária = ([0-9.]+)\)", text)
    print(f"classificador {acc:.3f} (majoritária {base:.3f})")
    assert acc >= base + 0.03
    # forecasting: the GRU beats persistence, which beats the mean
    m = re.search(r"MAE média = ([0-9.]+)\s+persistência = ([0-9.]+)\s+GRU = ([0-9.]+)", text)
    assert m
    mean_mae, persist_mae, gru_mae = map(float, m.groups())
    print(f"MAE média {mean_mae}, persistência {persist_mae}, GRU {gru_mae}")
    assert gru_mae < 0.75 * persist_mae < persist_mae < mean_mae
    # char model: the loss falls well below the uniform guess
    first = number(r"perda inicial ([0-9.]+)", text)
    last = number(r"final ([0-9.]+)", text)
    print(f"modelo de caracteres: perda {first:.2f} -> {last:.2f}")
    assert last < first - 1.0
    assert text.count("--- tau = ") == 4
    # hyperparameter search: both searches report a best configuration that beats persistence
    bests = [float(x) for x in re.findall(r"melhor da busca em \w+: .*MAE = ([0-9.]+)", text)]
    assert len(bests) == 2 and max(bests) < persist_mae


def test_structure():
    parts = common.check_structure(SOURCE, WRONG)
    text, forbid = parts.text, parts.forbid
    assert "inglês" in text  # the reviews are English, and the notebook says so
    assert "pad_sequences" in forbid["c07_ex1_resp"]["forbid"]
    assert "softmax_cross_entropy_forward" in forbid["c07_ex2_resp"]["forbid"]
    assert "make_windows" in forbid["c07_ex3_resp"]["forbid"]
    assert "sample_next" in forbid["c07_ex4_resp"]["forbid"]
    # training cells use tqdm (through training.fit or directly)
    code = "\n".join("".join(c["source"]) for c in parts.cells if c["cell_type"] == "code")
    assert "training.fit(" in code and "tqdm(" in code


def test_source_scores_full_and_release_zero(cache_dir, tmp_path):
    common.assert_source_scores_full(SOURCE, cache_dir, min_score=15)
    common.assert_release_scores_zero(SOURCE, cache_dir, tmp_path)


def test_forbidden_reference_earns_nothing(cache_dir, tmp_path):
    code = ("def build_windows(series, window, horizon=1):\n"
            "    X, Y = rnnlib.datasets.make_windows(np.asarray(series, dtype=float), window,"
            " horizon)\n"
            "    return X, Y[:, -1]\n")
    common.assert_reference_is_forbidden(SOURCE, "c07_ex3_resp", code, cache_dir, tmp_path,
                                         tests=EXERCISES["c07_ex3_resp"], others_full=True)


@common.wrong_cases(WRONG)
def test_wrong_answer_loses_only_its_points(exercise, desc, code, cache_dir, tmp_path):
    common.assert_loses_only_its_points(SOURCE, exercise, desc, code, cache_dir, tmp_path,
                                        tests=EXERCISES[exercise])
