"""Chapter 9 (Seq2seq e atenção): the notebook runs, has its structure and figures, and grades right.

Grading proof with the project's autograder: the source scores full marks, the untouched student
release scores 0, and every typical wrong answer loses its exercise's points and only those.
"""

import re

from . import common

NOTEBOOK = "09-seq2seq-atencao"
SOURCE = common.source_path(NOTEBOOK)
EXERCISES = {  # answer cell -> its test cells
    "c09_ex1_resp": ["c09_ex1_teste"],
    "c09_ex2_resp": ["c09_ex2_teste"],
    "c09_ex3_resp": ["c09_ex3_teste"],
    "c09_ex4_resp": ["c09_ex4_teste"],
}

_ADD = """
def additive_scores(q, K, W_q, W_k, v):
    {body}
"""
_BWD = """
def context_backward(dc, q, K, alpha):
    dalpha = np.einsum("nh,nsh->ns", dc, K)
    de = {de}
    dq = np.einsum("ns,nsh->nh", de, K)
    dK = {dK}
    return dq, dK
"""
_OK_DE = "alpha * (dalpha - (alpha * dalpha).sum(axis=-1, keepdims=True))"
_OK_DK = "alpha[:, :, None] * dc[:, None, :] + de[:, :, None] * q[:, None, :]"

# Typical wrong answers, per exercise: (description, answer cell code).
WRONG = {
    "c09_ex1_resp": [
        ("esquece a tanh",
         _ADD.format(body="return ((q @ W_q.T)[:, None, :] + K @ W_k.T) @ v")),
        ("aplica a tanh a cada projeção separadamente",
         _ADD.format(body="return (np.tanh(q @ W_q.T)[:, None, :] + np.tanh(K @ W_k.T)) @ v")),
        ("soma as unidades ocultas em vez de usar v",
         _ADD.format(body="return np.tanh((q @ W_q.T)[:, None, :] + K @ W_k.T).sum(axis=-1)")),
    ],
    "c09_ex2_resp": [
        ("multiplica pela máscara depois da softmax, sem renormalizar",
         "def masked_softmax(e, mask):\n    z = e - e.max(axis=-1, keepdims=True)\n"
         "    w = np.exp(z)\n    return w / w.sum(axis=-1, keepdims=True) * mask\n"),
        ("zera os escores mascarados (exp(0) = 1 ainda dá peso)",
         "def masked_softmax(e, mask):\n    z = e * mask\n    z = z - z.max(axis=-1, keepdims=True)\n"
         "    w = np.exp(z)\n    return w / w.sum(axis=-1, keepdims=True)\n"),
        ("não subtrai o máximo (estoura com escores grandes)",
         "def masked_softmax(e, mask):\n    w = np.exp(e) * mask\n"
         "    return w / w.sum(axis=-1, keepdims=True)\n"),
    ],
    "c09_ex3_resp": [
        ("média simples dos estados, ignorando alpha",
         "def context_vector(alpha, K):\n    return K.mean(axis=1)\n"),
        ("média ponderada dividida por S",
         "def context_vector(alpha, K):\n    return (alpha[:, :, None] * K).mean(axis=1)\n"),
    ],
    "c09_ex4_resp": [
        ("esquece o jacobiano da softmax (de = dalpha)", _BWD.format(de="alpha * dalpha", dK=_OK_DK)),
        ("esquece o caminho de K pelo contexto",
         _BWD.format(de=_OK_DE, dK="de[:, :, None] * q[:, None, :]")),
        ("esquece o caminho de K pelos escores",
         _BWD.format(de=_OK_DE, dK="alpha[:, :, None] * dc[:, None, :]")),
    ],
}


def test_executes_with_figures(executed):
    nb, _ = executed
    assert common.count_images(nb) >= 3  # máscara, curvas de perda, mapas de calor
    text = common.outputs_text(nb)
    errors = re.findall(r"erro relativo d[qK]: ([0-9.e+-]+)", text)
    assert len(errors) == 2 and max(float(e) for e in errors) < 1e-7
    acc = {name: (float(g), float(b)) for name, g, b in re.findall(
        r"(sem atenção|com atenção): acurácia \(datas inteiras corretas\) gulosa = ([0-9.]+) "
        r"em 1000 datas; feixe k=3 = ([0-9.]+)", text)}
    print(f"datas de teste: {acc}")
    assert acc["com atenção"][0] >= 0.95 and acc["com atenção"][1] >= 0.95
    assert acc["sem atenção"][0] < acc["com atenção"][0] - 0.5
    assert re.search(r"sábado, 24 de agosto de 1929\s+->\s+1929-08-24", text)


def test_structure():
    parts = common.check_structure(SOURCE, WRONG)
    forbid = parts.forbid
    assert "softmax_forward" in forbid["c09_ex2_resp"]["forbid"]


def test_source_scores_full_and_release_zero(cache_dir, tmp_path):
    common.assert_source_scores_full(SOURCE, cache_dir, min_score=14)
    common.assert_release_scores_zero(SOURCE, cache_dir, tmp_path,
                                      leaks=("(alpha * dalpha).sum",))


@common.wrong_cases(WRONG)
def test_wrong_answer_loses_only_its_points(exercise, desc, code, cache_dir, tmp_path):
    common.assert_loses_only_its_points(SOURCE, exercise, desc, code, cache_dir, tmp_path,
                                        tests=EXERCISES[exercise])
