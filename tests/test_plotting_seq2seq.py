"""rnnlib.plotting.plot_seq2seq: the strips hold the encoder and decoder states, and the line
widths follow the attention weights."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402

from rnnlib import plotting  # noqa: E402
from rnnlib.plotting.seq2seq import MAX_WIDTH  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_states_and_attention_are_drawn_from_the_tensors():
    rng = np.random.default_rng(0)
    S, T, H = 6, 4, 5
    enc, dec = np.tanh(rng.standard_normal((S, H))), np.tanh(rng.standard_normal((T, H)))
    w = rng.random((T, S))
    w /= w.sum(axis=1, keepdims=True)
    fig = plotting.plot_seq2seq(list("abcdef"), list("wxyz"), enc, dec, w)
    ax = fig.axes[0]
    images = {im.get_label(): im.get_array() for im in ax.get_images()}
    np.testing.assert_array_equal(images["codificador"], enc.T)
    np.testing.assert_array_equal(images["decodificador"], dec.T)
    (lines,) = [c for c in ax.collections if isinstance(c, LineCollection)]
    widths = np.asarray(lines.get_linewidths())
    np.testing.assert_allclose(widths, MAX_WIDTH * w.ravel() / w.max())
    # the thickest line joins the decoder step and the source position of the largest weight
    t, s = np.unravel_index(np.argmax(w), w.shape)
    (x_top, _), (x_bottom, _) = lines.get_segments()[int(np.argmax(widths))]
    assert x_bottom == s + 0.5 and x_top == (S - T) / 2 + t + 0.5
    assert {t.get_text() for t in ax.texts} >= set("abcdefwxyz")


def test_rejects_shapes_that_do_not_match():
    enc, dec = np.zeros((6, 5)), np.zeros((4, 5))
    with pytest.raises(ValueError, match=r"weights: expected shape \(T, S\)"):
        plotting.plot_seq2seq(list("abcdef"), list("wxyz"), enc, dec, np.zeros((6, 4)))
    with pytest.raises(ValueError, match="same H"):
        plotting.plot_seq2seq(list("abcdef"), list("wxyz"), enc, np.zeros((4, 3)), np.zeros((4, 6)))
    with pytest.raises(ValueError, match="tokens"):
        plotting.plot_seq2seq(list("abc"), list("wxyz"), enc, dec, np.zeros((4, 6)))
