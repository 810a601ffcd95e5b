"""The fast sequence ops (gate-major, in place) equal the readable cell step looped over time.

float64, random shapes, initial states, weights, biases (or none) and upstream gradients (on
every output, on the final state, or both): outputs, final states, dx, the initial states'
gradients and every weight gradient agree to 1e-12.
"""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnlib import functional as F

TOL = dict(rtol=1e-12, atol=1e-12)
GATES = {"rnn": 1, "lstm": 4, "gru": 3}


@st.composite
def problems(draw, kind):
    T, N, D, H = (draw(st.integers(1, n)) for n in (6, 4, 5, 5))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    G = GATES[kind]
    weights = [rng.standard_normal((G * H, D)) * 0.6, rng.standard_normal((G * H, H)) * 0.6]
    weights += (
        [rng.standard_normal(G * H), rng.standard_normal(G * H)] if draw(st.booleans()) else []
    )
    states = [rng.standard_normal((N, H)) for _ in range(2 if kind == "lstm" else 1)]
    upstream = draw(st.sampled_from(["outputs", "final", "both"]))
    dhs = rng.standard_normal((T, N, H)) if upstream != "final" else None
    dlast = [rng.standard_normal((N, H)) if upstream != "outputs" else None for _ in states]
    extra = {"nonlinearity": draw(st.sampled_from(["tanh", "relu"]))} if kind == "rnn" else {}
    return rng.standard_normal((T, N, D)), states, weights, dhs, dlast, extra


def assert_close(fast: dict, slow: dict):
    assert fast.keys() == slow.keys()
    for name in fast:
        np.testing.assert_allclose(fast[name], slow[name], **TOL, err_msg=name)


def loop_h_only(forward, backward):
    """The sequence as a loop over the step of a cell whose state is h alone (RNN, GRU)."""

    def loop(x, states, weights, dhs, dlast, extra):
        h, caches, hs = states[0], [], []
        for t in range(len(x)):
            h, cache = forward(x[t], h, *weights, **extra)
            caches.append(cache)
            hs.append(h)
        grads, dxs = {}, [None] * len(x)
        dh = dlast[0] if dlast[0] is not None else np.zeros_like(h)
        for t in reversed(range(len(x))):
            dxs[t], dh, g = backward(dh + (dhs[t] if dhs is not None else 0), caches[t])
            grads = {k: grads.get(k, 0) + v for k, v in g.items()}
        return {"hs": np.stack(hs), "dx": np.stack(dxs), "dh0": dh, **grads}

    return loop


loop_rnn = loop_h_only(F.rnn_cell_forward, F.rnn_cell_backward)
loop_gru = loop_h_only(F.gru_cell_forward, F.gru_cell_backward)


def loop_lstm(x, states, weights, dhs, dlast, extra):
    (h, c), caches, hs = states, [], []
    for t in range(len(x)):
        h, c, cache = F.lstm_cell_forward(x[t], h, c, *weights)
        caches.append(cache)
        hs.append(h)
    grads, dxs = {}, [None] * len(x)
    dh = dlast[0] if dlast[0] is not None else np.zeros_like(h)
    dc = dlast[1]  # None is allowed: no gradient reaches c_T
    for t in reversed(range(len(x))):
        dh = dh + (dhs[t] if dhs is not None else 0)
        dxs[t], dh, dc, g = F.lstm_cell_backward(dh, dc, caches[t])
        grads = {k: grads.get(k, 0) + v for k, v in g.items()}
    return {"hs": np.stack(hs), "c_T": c, "dx": np.stack(dxs), "dh0": dh, "dc0": dc, **grads}


@settings(max_examples=40, deadline=None)
@given(problems("rnn"))
def test_rnn_sequence_equals_the_step_looped(problem):
    x, states, weights, dhs, dlast, extra = problem
    hs, cache = F.rnn_forward(x, states[0], *weights, **extra)
    dx, dh0, grads = F.rnn_backward(dhs, cache, dh_last=dlast[0])
    fast = {"hs": hs, "dx": dx, "dh0": dh0, **grads}
    assert_close(fast, loop_rnn(*problem))


@settings(max_examples=40, deadline=None)
@given(problems("lstm"))
def test_lstm_sequence_equals_the_step_looped(problem):
    x, states, weights, dhs, dlast, extra = problem
    hs, c_T, cache = F.lstm_forward(x, *states, *weights)
    dx, dh0, dc0, grads = F.lstm_backward(dhs, cache, dh_last=dlast[0], dc_last=dlast[1])
    fast = {"hs": hs, "c_T": c_T, "dx": dx, "dh0": dh0, "dc0": dc0, **grads}
    assert_close(fast, loop_lstm(*problem))


@settings(max_examples=40, deadline=None)
@given(problems("gru"))
def test_gru_sequence_equals_the_step_looped(problem):
    x, states, weights, dhs, dlast, extra = problem
    hs, cache = F.gru_forward(x, states[0], *weights)
    dx, dh0, grads = F.gru_backward(dhs, cache, dh_last=dlast[0])
    fast = {"hs": hs, "dx": dx, "dh0": dh0, **grads}
    assert_close(fast, loop_gru(*problem))


def test_the_cell_caches_name_their_gates():
    """The step's cache shows the equations' quantities by name, in torch's gate order."""
    rng = np.random.default_rng(0)
    N, D, H = 2, 3, 4
    x, h, c = rng.standard_normal((N, D)), rng.standard_normal((N, H)), rng.standard_normal((N, H))
    W_ih, W_hh = rng.standard_normal((4 * H, D)), rng.standard_normal((4 * H, H))
    _, c_new, cache = F.lstm_cell_forward(x, h, c, W_ih, W_hh)
    np.testing.assert_allclose(c_new, cache.f * c + cache.i * cache.g, **TOL)
    np.testing.assert_allclose(cache.gates[:, 2 * H : 3 * H], cache.g, **TOL)
    a = x @ W_ih.T + h @ W_hh.T
    np.testing.assert_allclose(cache.o, 1 / (1 + np.exp(-a[:, 3 * H :])), **TOL)
    h_new, cache = F.gru_cell_forward(x, h, W_ih[: 3 * H], W_hh[: 3 * H])
    np.testing.assert_allclose(h_new, (1 - cache.z) * cache.n + cache.z * h, **TOL)
    np.testing.assert_allclose(cache.hw_n, h @ W_hh[2 * H : 3 * H].T, **TOL)
    assert cache.gates.shape == (N, 3 * H)
