"""Every functional op's backward against central differences, float64, random upstream
gradients, non-zero biases: relative error <= 1e-7."""

import numpy as np
import pytest

from rnnlib import functional as F
from rnnlib.gradcheck import numerical_gradient, rel_error

TOL = 1e-7
T, N, D, H = 4, 3, 5, 6


def assert_grads(f, inputs: dict, analytic: dict, dout):
    for name, x in inputs.items():
        num = numerical_gradient(f, x, dout)
        err = rel_error(analytic[name], num)
        assert err <= TOL, f"{name}: relative error {err:.2e}"


def rand(rng, *shape):
    return rng.standard_normal(shape)


@pytest.mark.parametrize("name", ["tanh", "sigmoid", "relu"])
def test_activations(rng, name):
    fwd, bwd = getattr(F, f"{name}_forward"), getattr(F, f"{name}_backward")
    x = rand(rng, N, D)
    x[np.abs(x) < 1e-3] = 0.5  # keep relu away from its kink
    dy = rand(rng, N, D)
    _, cache = fwd(x)
    assert_grads(lambda: fwd(x)[0], {"x": x}, {"x": bwd(dy, cache)}, dy)


def test_softmax(rng):
    x, dy = rand(rng, N, D), rand(rng, N, D)
    y, cache = F.softmax_forward(x)
    np.testing.assert_allclose(y.sum(-1), 1.0)
    assert_grads(
        lambda: F.softmax_forward(x)[0], {"x": x}, {"x": F.softmax_backward(dy, cache)}, dy
    )


def test_linear(rng):
    x, W, b, dy = rand(rng, T, N, D), rand(rng, H, D), rand(rng, H), rand(rng, T, N, H)
    _, cache = F.linear_forward(x, W, b)
    dx, dW, db = F.linear_backward(dy, cache)
    assert_grads(
        lambda: F.linear_forward(x, W, b)[0],
        {"x": x, "W": W, "b": b},
        {"x": dx, "W": dW, "b": db},
        dy,
    )


def test_embedding(rng):
    idx = rng.integers(0, 7, size=(T, N))
    W, dy = rand(rng, 7, D), rand(rng, T, N, D)
    _, cache = F.embedding_forward(idx, W)
    assert_grads(
        lambda: F.embedding_forward(idx, W)[0], {"W": W}, {"W": F.embedding_backward(dy, cache)}, dy
    )


@pytest.mark.parametrize("masked", [False, True])
def test_softmax_cross_entropy(rng, masked):
    logits = rand(rng, T, N, 7)
    targets = rng.integers(0, 7, size=(T, N))
    mask = (rng.random((T, N)) > 0.3).astype(float) if masked else None
    if masked:
        mask[0, 0] = 1
    loss, cache = F.softmax_cross_entropy_forward(logits, targets, mask)
    dloss = 1.7
    d = F.softmax_cross_entropy_backward(dloss, cache)
    assert_grads(
        lambda: F.softmax_cross_entropy_forward(logits, targets, mask)[0],
        {"logits": logits},
        {"logits": d},
        dloss,
    )
    if masked:  # padding positions get no gradient and change nothing
        assert np.all(d[mask == 0] == 0)
        logits2 = logits.copy()
        logits2[mask == 0] += 100
        assert F.softmax_cross_entropy_forward(logits2, targets, mask)[0] == pytest.approx(loss)


def test_mse(rng):
    p, t = rand(rng, T, N), rand(rng, T, N)
    _, cache = F.mse_forward(p, t)
    assert_grads(lambda: F.mse_forward(p, t)[0], {"p": p}, {"p": F.mse_backward(0.8, cache)}, 0.8)


def cell_inputs(rng, G):
    return dict(
        x=rand(rng, N, D),
        W_ih=rand(rng, G * H, D) * 0.5,
        W_hh=rand(rng, G * H, H) * 0.5,
        b_ih=rand(rng, G * H),
        b_hh=rand(rng, G * H),
    )


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_rnn_cell(rng, nonlinearity):
    a = cell_inputs(rng, 1)
    h_prev, dh = rand(rng, N, H), rand(rng, N, H)
    args = lambda: (a["x"], h_prev, a["W_ih"], a["W_hh"], a["b_ih"], a["b_hh"], nonlinearity)  # noqa: E731
    _, cache = F.rnn_cell_forward(*args())
    dx, dh_prev, g = F.rnn_cell_backward(dh, cache)
    analytic = {
        "x": dx,
        "h_prev": dh_prev,
        "W_ih": g["weight_ih"],
        "W_hh": g["weight_hh"],
        "b_ih": g["bias_ih"],
        "b_hh": g["bias_hh"],
    }
    assert_grads(lambda: F.rnn_cell_forward(*args())[0], a | {"h_prev": h_prev}, analytic, dh)


def test_lstm_cell(rng):
    a = cell_inputs(rng, 4)
    h_prev, c_prev = rand(rng, N, H), rand(rng, N, H)
    dh, dc = rand(rng, N, H), rand(rng, N, H)
    args = lambda: (a["x"], h_prev, c_prev, a["W_ih"], a["W_hh"], a["b_ih"], a["b_hh"])  # noqa: E731
    _, _, cache = F.lstm_cell_forward(*args())
    dx, dh_prev, dc_prev, g = F.lstm_cell_backward(dh, dc, cache)
    analytic = {
        "x": dx,
        "h_prev": dh_prev,
        "c_prev": dc_prev,
        "W_ih": g["weight_ih"],
        "W_hh": g["weight_hh"],
        "b_ih": g["bias_ih"],
        "b_hh": g["bias_hh"],
    }

    def f():
        h, c, _ = F.lstm_cell_forward(*args())
        return np.sum(h * dh) + np.sum(c * dc)

    assert_grads(f, a | {"h_prev": h_prev, "c_prev": c_prev}, analytic, None)


def test_gru_cell(rng):
    a = cell_inputs(rng, 3)
    h_prev, dh = rand(rng, N, H), rand(rng, N, H)
    args = lambda: (a["x"], h_prev, a["W_ih"], a["W_hh"], a["b_ih"], a["b_hh"])  # noqa: E731
    _, cache = F.gru_cell_forward(*args())
    dx, dh_prev, g = F.gru_cell_backward(dh, cache)
    analytic = {
        "x": dx,
        "h_prev": dh_prev,
        "W_ih": g["weight_ih"],
        "W_hh": g["weight_hh"],
        "b_ih": g["bias_ih"],
        "b_hh": g["bias_hh"],
    }
    assert_grads(lambda: F.gru_cell_forward(*args())[0], a | {"h_prev": h_prev}, analytic, dh)


def seq_inputs(rng, G):
    a = cell_inputs(rng, G)
    a["x"] = rand(rng, T, N, D)
    return a


@pytest.mark.parametrize("kind", ["rnn_tanh", "rnn_relu", "lstm", "gru"])
@pytest.mark.parametrize("with_outputs", [True, False])
def test_sequence_bptt(rng, kind, with_outputs):
    """BPTT over the whole sequence, with the final state's gradient carried in (truncated BPTT)."""
    G = {"rnn_tanh": 1, "rnn_relu": 1, "lstm": 4, "gru": 3}[kind]
    a = seq_inputs(rng, G)
    h0, c0 = rand(rng, N, H), rand(rng, N, H)
    dhs = rand(rng, T, N, H) if with_outputs else None
    dh_last, dc_last = rand(rng, N, H), rand(rng, N, H)
    w = (a["W_ih"], a["W_hh"], a["b_ih"], a["b_hh"])
    inputs = a | {"h0": h0}
    if kind == "lstm":
        inputs["c0"] = c0

        def run():
            return F.lstm_forward(a["x"], h0, c0, *w)

        def f():
            hs, c, _ = run()
            return (
                np.sum(hs * dhs if dhs is not None else 0)
                + np.sum(hs[-1] * dh_last)
                + np.sum(c * dc_last)
            )

        dx, dh0, dc0, g = F.lstm_backward(dhs, run()[2], dh_last, dc_last)
        extra = {"c0": dc0}
    else:
        if kind == "gru":

            def run():
                return F.gru_forward(a["x"], h0, *w)

            back = F.gru_backward
        else:
            nl = kind.split("_")[1]

            def run():
                return F.rnn_forward(a["x"], h0, *w, nonlinearity=nl)

            back = F.rnn_backward

        def f():
            hs, _ = run()
            return np.sum(hs * dhs if dhs is not None else 0) + np.sum(hs[-1] * dh_last)

        dx, dh0, g = back(dhs, run()[1], dh_last)
        extra = {}
    analytic = {
        "x": dx,
        "h0": dh0,
        "W_ih": g["weight_ih"],
        "W_hh": g["weight_hh"],
        "b_ih": g["bias_ih"],
        "b_hh": g["bias_hh"],
    } | extra
    assert_grads(f, inputs, analytic, None)


def test_cells_compose_into_sequence(rng):
    """The sequence op equals the cell applied step by step (the loop students write)."""
    a = seq_inputs(rng, 4)
    h, c = rand(rng, N, H), rand(rng, N, H)
    hs, cT, _ = F.lstm_forward(a["x"], h, c, a["W_ih"], a["W_hh"], a["b_ih"], a["b_hh"])
    for t in range(T):
        h, c, _ = F.lstm_cell_forward(a["x"][t], h, c, a["W_ih"], a["W_hh"], a["b_ih"], a["b_hh"])
        np.testing.assert_allclose(hs[t], h, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(cT, c, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
@pytest.mark.parametrize("n", [1, 3])
def test_sequence_ops_leave_their_inputs_alone(rng, kind, n):
    """The gate-major time loop works in place on its own buffers: for N = 1 a transposed
    (N, H) array is already contiguous, so a careless "contiguous" would alias the caller's
    h0, c0, dh_last or dc_last and write into them."""
    G = 4 if kind == "lstm" else 3
    x, h0, c0 = rand(rng, T, n, D), rand(rng, n, H), rand(rng, n, H)
    weights = (rand(rng, G * H, D), rand(rng, G * H, H), rand(rng, G * H), rand(rng, G * H))
    dhs, dh_last, dc_last = rand(rng, T, n, H), rand(rng, n, H), rand(rng, n, H)
    state = (h0, c0) if kind == "lstm" else (h0,)
    final_grads = {"dh_last": dh_last, "dc_last": dc_last} if kind == "lstm" else {
        "dh_last": dh_last}
    inputs = [x, *state, *weights, dhs, dh_last, dc_last]
    before = [a.copy() for a in inputs]
    fwd = getattr(F, f"{kind}_forward")(x, *state, *weights)
    getattr(F, f"{kind}_backward")(dhs, fwd[-1], **final_grads)
    for a, b in zip(inputs, before, strict=True):
        np.testing.assert_array_equal(a, b, err_msg=f"{kind}: uma entrada foi modificada")
