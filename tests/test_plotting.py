"""rnnlib.plotting's diagrams (drawn from a model's own tensors) and figures with controls.

Each diagram is checked for drawing without error and for reflecting the values it was given:
line widths and colours of the edges, colours of the neurons or gates."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import LineCollection, PathCollection  # noqa: E402

from autograder.website import _static_outputs  # noqa: E402
from rnnlib import plotting  # noqa: E402
from rnnlib.plotting.mlp import MAX_WIDTH, MIN_WIDTH  # noqa: E402
from rnnlib.plotting.widgets import WIDGET_VIEW  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_mlp_edges_and_neurons_reflect_the_tensors():
    rng = np.random.default_rng(0)
    W1, W2 = rng.standard_normal((4, 3)), rng.standard_normal((2, 4))
    acts = [rng.standard_normal(3), np.tanh(rng.standard_normal(4)), rng.standard_normal(2)]
    fig = plotting.plot_mlp([W1, W2], activations=acts, op_names=["tanh", "linear"])
    ax = fig.axes[0]
    edges = [c for c in ax.collections if isinstance(c, LineCollection)]
    assert len(edges) == 2
    for coll, W in zip(edges, (W1, W2), strict=True):
        widths = np.asarray(coll.get_linewidths())
        assert widths.shape == (W.size,)
        expect = MIN_WIDTH + (MAX_WIDTH - MIN_WIDTH) * np.abs(W.ravel()) / np.abs(W).max()
        np.testing.assert_allclose(widths, expect)
        red = coll.get_colors()[:, 0] > coll.get_colors()[:, 2]
        np.testing.assert_array_equal(red, W.ravel() >= 0)  # red positive, blue negative
    nodes = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert [len(n.get_offsets()) for n in nodes] == [3, 4, 2]
    top = max(np.abs(a).max() for a in acts)
    for coll, a in zip(nodes, acts, strict=True):
        np.testing.assert_allclose(coll.get_facecolors(),
                                   plt.get_cmap("coolwarm")(0.5 + 0.5 * a / top))
    # the largest activation is the reddest neuron
    h = nodes[1].get_facecolors()
    assert np.argmax(h[:, 0] - h[:, 2]) == np.argmax(acts[1])


def test_mlp_rejects_shapes_that_do_not_chain():
    with pytest.raises(ValueError, match=r"weights\[1\].*must read the 4 outputs"):
        plotting.plot_mlp([np.ones((4, 3)), np.ones((2, 5))])
    with pytest.raises(ValueError, match="activations: expected vectors of sizes"):
        plotting.plot_mlp([np.ones((4, 3))], activations=[np.ones(3), np.ones(5)])


def test_interactive_redraws_when_a_control_moves(capsys):
    def draw(scale):
        fig, ax = plt.subplots()
        ax.plot([0, 1], [0, scale])
        return fig

    box = plotting.interactive(draw, scale=(0.5, 4.0, 0.5))
    first = box.result.axes[0].lines[0].get_ydata()[1]
    (slider,) = box.kwargs_widgets
    slider.value = 3.0
    assert box.result.axes[0].lines[0].get_ydata()[1] == 3.0 != first
    with pytest.raises(ValueError, match="expected it to return a matplotlib Figure"):
        plotting.interactive(lambda scale: None, scale=(0.5, 4.0, 0.5))


def test_widget_output_degrades_to_its_image_on_the_static_site():
    outputs = [
        {"output_type": "display_data", "data": {WIDGET_VIEW: {}, "text/plain": "0%"}},
        {"output_type": "display_data",
         "data": {WIDGET_VIEW: {}, "image/png": "iVBOR", "text/plain": "figura"}},
        {"output_type": "stream", "name": "stdout", "text": "ok"},
    ]
    kept = _static_outputs(outputs)
    assert [o.get("data", {}).get("image/png") for o in kept] == ["iVBOR", None]
    assert all(WIDGET_VIEW not in o.get("data", {}) for o in kept)


def test_lstm_cell_gates_are_coloured_by_their_values():
    from rnnlib import functional as F

    rng = np.random.default_rng(3)
    N, D, H = 1, 2, 5
    x, h0, c0 = rng.standard_normal((N, D)), rng.standard_normal((N, H)), rng.standard_normal((N, H))
    W_ih, W_hh = rng.standard_normal((4 * H, D)), rng.standard_normal((4 * H, H))
    b_ih, b_hh = rng.standard_normal(4 * H), rng.standard_normal(4 * H)
    h, c, _ = F.lstm_cell_forward(x, h0, c0, W_ih, W_hh, b_ih, b_hh)
    z = x @ W_ih.T + h0 @ W_hh.T + b_ih + b_hh  # torch's gate order: i, f, g, o
    sig = 1 / (1 + np.exp(-z))
    gates = {"i": sig[0, :H], "f": sig[0, H:2 * H], "g": np.tanh(z[0, 2 * H:3 * H]),
             "o": sig[0, 3 * H:]}
    np.testing.assert_allclose(c[0], gates["f"] * c0[0] + gates["i"] * gates["g"])
    fig = plotting.plot_lstm_cell(gates, c0, c, h)
    fig.canvas.draw()  # the colour map is applied when drawing
    strips = {coll.get_label(): coll for coll in fig.axes[0].collections}
    for name in "ifgo":
        np.testing.assert_allclose(strips[name].get_array(), gates[name])
        cmap = plt.get_cmap("coolwarm" if name == "g" else "viridis")
        lo = -1.0 if name == "g" else 0.0
        np.testing.assert_allclose(strips[name].get_facecolors(),
                                   cmap((gates[name] - lo) / (1.0 - lo)), atol=1e-6)
    np.testing.assert_allclose(strips["c_t"].get_array(), c[0])
    np.testing.assert_allclose(strips["h_t"].get_array(), h[0])
    # a forget gate near 1 is drawn in the bright end of the colour map, near 0 in the dark end
    closed = dict(gates, f=np.full(H, 0.02))
    fig_closed = plotting.plot_lstm_cell(closed, c0, c, h)
    fig_closed.canvas.draw()
    dark = fig_closed.axes[0].collections
    f_closed = next(col for col in dark if col.get_label() == "f").get_facecolors()
    assert f_closed[:, :3].sum() < strips["f"].get_facecolors()[:, :3].sum()
    with pytest.raises(ValueError, match=r"gates: missing \['o'\]"):
        plotting.plot_lstm_cell({k: gates[k] for k in "ifg"}, c0, c, h)
    with pytest.raises(ValueError, match="c: expected 5 values"):
        plotting.plot_lstm_cell(gates, c0, np.ones(4), h)


def test_unrolled_rnn_draws_states_shared_weights_and_gradient():
    from rnnlib import functional as F

    rng = np.random.default_rng(4)
    T, N, D, H = 5, 2, 3, 4
    xs = rng.standard_normal((T, N, D))
    W_xh, W_hh, b = rng.standard_normal((H, D)), rng.standard_normal((H, H)), rng.standard_normal(H)
    hs, cache = F.rnn_forward(xs, np.zeros((N, H)), W_xh, W_hh, b)
    dhs = np.zeros_like(hs)
    dhs[-1] = rng.standard_normal((N, H))
    norms = []
    dh = dhs[-1]
    for t in reversed(range(T)):  # ||dL/dh_t||, loss at the end only
        norms.append(np.linalg.norm(dh[1]))
        dh = ((1 - hs[t] ** 2) * dh) @ W_hh
    norms = np.array(norms[::-1])
    fig = plotting.plot_unrolled_rnn(hs[:, 1], W_hh, xs=xs[:, 1], grad_norms=norms)
    ax_w, ax = fig.axes[:2]
    np.testing.assert_allclose(ax_w.images[0].get_array(), W_hh)  # the one shared matrix
    cols = {c.get_label(): c for c in ax.collections}
    for t in range(T):
        np.testing.assert_allclose(cols[f"h_{t + 1}"].get_array(), hs[t, 1])
        np.testing.assert_allclose(cols[f"x_{t + 1}"].get_array(), xs[t, 1])
    arrows = {a.get_gid(): a.arrow_patch.get_linewidth() for a in ax.texts if a.get_gid()}
    widths = [arrows[f"grad_{t + 1}"] for t in range(1, T)]
    np.testing.assert_allclose(widths, plotting.unrolled.grad_widths(norms)[1:])
    assert np.argmax(widths) == np.argmax(norms[1:])
    with pytest.raises(ValueError, match=r"W_hh: expected shape \(4, 4\)"):
        plotting.plot_unrolled_rnn(hs[:, 0], np.ones((3, 3)))
    with pytest.raises(ValueError, match="grad_norms: expected 5 values"):
        plotting.plot_unrolled_rnn(hs[:, 0], W_hh, grad_norms=np.ones(4))
