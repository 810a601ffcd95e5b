"""Chapter 8 (RNN bidirecional): the notebook runs, has its structure and figures, and grades right.

Grading proof with the project's autograder: the source scores full marks, the untouched student
release scores 0, and every typical wrong answer loses its exercise's points and only those.
"""

import re

from . import common

NOTEBOOK = "08-rnn-bidirecional"
SOURCE = common.source_path(NOTEBOOK)
EXERCISES = {  # answer cell -> its test cells
    "c08_ex1_resp": ["c08_ex1_teste"],
    "c08_ex2_resp": ["c08_ex2_teste"],
    "c08_ex3_resp": ["c08_ex3_teste"],
    "c08_ex4_resp": ["c08_ex4_teste"],
}

_BIRNN_FWD = '''
def birnn_forward(x, lengths, h0, params_f, params_b):
    T, N = x.shape[:2]
    mask = length_mask(lengths, T)[:, :, None]
    hs_f, cache_f = F.rnn_forward(x, h0[0], *params_f)
    hs_b_rev, cache_b = F.rnn_forward({xb}, h0[1], *params_b)
    hs_b = {hb}
    out = np.concatenate([hs_f, hs_b], axis=-1){masked}
    last, cols = np.asarray(lengths) - 1, np.arange(N)
    h_n = np.stack([{hnf}, {hnb}])
    return out, h_n, BiRNNCache(cache_f, cache_b, lengths)
'''
_OK_FWD = dict(xb="reverse_padded(x, lengths)", hb="reverse_padded(hs_b_rev, lengths)",
               masked=" * mask", hnf="hs_f[last, cols]", hnb="hs_b_rev[last, cols]")

_BIRNN_BWD = '''
def birnn_backward(dout, dh_n, cache):
    cache_f, cache_b, lengths = cache
    T, N = dout.shape[:2]
    H = dout.shape[-1] // 2
    mask = length_mask(lengths, T)[:, :, None]
    last, cols = np.asarray(lengths) - 1, np.arange(N)
    dhs_f = dout[..., :H]{masked}
    dhs_f[{tf}] += dh_n[0]
    dhs_b = {db}
    dhs_b[last, cols] += dh_n[1]
    dx_f, dh0_f, grads_f = F.rnn_backward(dhs_f, cache_f)
    dx_b, dh0_b, grads_b = F.rnn_backward(dhs_b, cache_b)
    dx = {dx}
    return dx, np.stack([dh0_f, dh0_b]), grads_f, grads_b
'''
_OK_BWD = dict(masked=" * mask", tf="last, cols",
               db="reverse_padded(dout[..., H:] * mask, lengths)",
               dx="dx_f + reverse_padded(dx_b, lengths)")

# Typical wrong answers, per exercise: (description, answer cell code).
WRONG = {
    "c08_ex1_resp": [
        ("inverte o tensor inteiro, preenchimento incluído",
         "def reverse_padded(x, lengths):\n    return x[::-1].copy()\n"),
        ("inverte o eixo do lote em vez do eixo do tempo",
         "def reverse_padded(x, lengths):\n    return x[:, ::-1].copy()\n"),
        ("zera o preenchimento em vez de mantê-lo",
         "def reverse_padded(x, lengths):\n    out = np.zeros_like(x)\n"
         "    for n, L in enumerate(lengths):\n        out[:L, n] = x[:L, n][::-1]\n"
         "    return out\n"),
        ("modifica x no lugar",
         "def reverse_padded(x, lengths):\n    for n, L in enumerate(lengths):\n"
         "        x[:L, n] = x[:L, n][::-1].copy()\n    return x\n"),
    ],
    "c08_ex2_resp": [
        ("direção de trás lê o tensor inteiro invertido (x[::-1])",
         _BIRNN_FWD.format(**(_OK_FWD | dict(xb="x[::-1]", hb="hs_b_rev[::-1]")))),
        ("não desinverte as saídas da direção de trás",
         _BIRNN_FWD.format(**(_OK_FWD | dict(hb="hs_b_rev")))),
        ("estados finais tirados do último passo do lote, não do último passo real",
         _BIRNN_FWD.format(**(_OK_FWD | dict(hnf="hs_f[-1]", hnb="hs_b_rev[-1]")))),
        ("não zera as posições de preenchimento",
         _BIRNN_FWD.format(**(_OK_FWD | dict(masked="")))),
    ],
    "c08_ex3_resp": [
        ("não mascara dout no preenchimento",
         _BIRNN_BWD.format(**(_OK_BWD | dict(masked=".copy()",
                                             db="reverse_padded(dout[..., H:], lengths)")))),
        ("soma dh_n[0] no último passo do lote, não em L - 1",
         _BIRNN_BWD.format(**(_OK_BWD | dict(tf="-1")))),
        ("não desinverte o dx da direção de trás",
         _BIRNN_BWD.format(**(_OK_BWD | dict(dx="dx_f + dx_b")))),
        ("esquece de inverter o gradiente das saídas da direção de trás",
         _BIRNN_BWD.format(**(_OK_BWD | dict(db="dout[..., H:] * mask")))),
    ],
    "c08_ex4_resp": [
        ("média sobre todas as posições, preenchimento incluído",
         "def masked_accuracy(logits, targets, lengths):\n"
         "    return float((logits.argmax(axis=-1) == targets).mean())\n"),
        ("média das acurácias por sequência",
         "def masked_accuracy(logits, targets, lengths):\n"
         "    hits = logits.argmax(axis=-1) == targets\n"
         "    return float(np.mean([hits[:L, n].mean() for n, L in enumerate(lengths)]))\n"),
    ],
}


def test_executes_with_figures(executed):
    nb, _ = executed
    assert common.count_images(nb) >= 4
    text = common.outputs_text(nb)
    # the library's bidirectional layer is two F.rnn_forward passes, the second reversed
    m = re.search(r"diferença máxima para a camada: ([0-9.e+-]+)", text)
    assert m and float(m.group(1)) < 1e-12
    # padded batches: lengths= matches each sequence alone; the naive flip does not
    for _naive, with_len in re.findall(r"ingênuo = ([0-9.e+-]+)\s+com lengths = ([0-9.e+-]+)",
                                      text):
        assert float(with_len) < 1e-12
    assert max(float(a) for a, _ in re.findall(
        r"ingênuo = ([0-9.e+-]+)\s+com lengths = ([0-9.e+-]+)", text)) > 1e-3
    # the hand-written backward passes the numerical gradient check
    errors = re.findall(r"^(?:dx|dh0|W_hh \(f\)|W_ih \(b\)|b_hh \(b\))\s+([0-9.e+-]+)$", text,
                        flags=re.M)
    assert len(errors) == 5 and max(float(e) for e in errors) < 1e-7
    # future context: the bidirectional tagger wins clearly
    uni = float(re.search(r"unidirecional: acurácia de validação = ([0-9.]+)", text).group(1))
    bi = float(re.search(r"bidirecional: acurácia de validação = ([0-9.]+)", text).group(1))
    print(f"acurácia unidirecional {uni:.3f}, bidirecional {bi:.3f}")
    assert bi >= 0.95 and uni <= 0.70


def test_structure():
    parts = common.check_structure(SOURCE, WRONG)
    forbid = parts.forbid
    assert "RNN" in forbid["c08_ex2_resp"]["forbid"] and "RNN" in forbid["c08_ex3_resp"]["forbid"]


def test_source_scores_full_and_release_zero(cache_dir, tmp_path):
    common.assert_source_scores_full(SOURCE, cache_dir, min_score=15)
    text = common.assert_release_scores_zero(SOURCE, cache_dir, tmp_path, leaks=("_rev_ok",))
    assert "chave=" in text


@common.wrong_cases(WRONG)
def test_wrong_answer_loses_only_its_points(exercise, desc, code, cache_dir, tmp_path):
    common.assert_loses_only_its_points(SOURCE, exercise, desc, code, cache_dir, tmp_path,
                                        tests=EXERCISES[exercise])


def test_library_layer_with_lengths_is_forbidden(cache_dir, tmp_path):
    cheat = '''
def birnn_forward(x, lengths, h0, params_f, params_b):
    layer = rnnlib.RNN(x.shape[2], h0.shape[2], bidirectional=True)
    names = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")
    for suffix, p in (("", params_f), ("_reverse", params_b)):
        for name, v in zip(names, p, strict=True):
            layer.params[name + suffix] = v
    out, h_n = layer.forward(x, h0, lengths=lengths)
    return out, h_n, None
'''
    common.assert_reference_is_forbidden(SOURCE, "c08_ex2_resp", cheat, cache_dir, tmp_path,
                                         tests=EXERCISES["c08_ex2_resp"])
