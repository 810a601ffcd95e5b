"""The plain (Elman) RNN: one step and the whole sequence, forward beside backward.

    h_t = f(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh),   f = tanh or relu

Shapes: x_t (N, D), h_t (N, H), W_ih (H, D), W_hh (H, H), b_ih and b_hh (H,);
a sequence x is time-major (T, N, D) and its states hs (T, N, H).
Gradients come back in a dict with torch's names: weight_ih, weight_hh, bias_ih, bias_hh.
"""

from __future__ import annotations

from typing import NamedTuple

from .._backend import namespace
from ._common import bias_sum, check_recurrent_args, previous_states, weight_grads
from .linear import linear_forward


def _activate(a, nonlinearity: str):
    ops = namespace(a)
    if nonlinearity == "tanh":
        return ops.tanh(a)
    if nonlinearity == "relu":
        return ops.maximum(a, 0)
    raise ValueError(f"nonlinearity: expected 'tanh' or 'relu', got {nonlinearity!r}")


def _activation_grad(dh, h, nonlinearity: str):
    """d pre-activation from dh, written with the output h: tanh' = 1 - h^2, relu' = [h > 0]."""
    return dh * (1 - h * h) if nonlinearity == "tanh" else dh * (h > 0)


class RNNCellCache(NamedTuple):
    x: object  # (N, D)
    h_prev: object  # (N, H)
    h: object  # (N, H)
    W_ih: object
    W_hh: object
    has_bias: bool
    nonlinearity: str


def rnn_cell_forward(x, h_prev, W_ih, W_hh, b_ih=None, b_hh=None, nonlinearity="tanh"):
    """One step: h = f(x W_ih^T + b_ih + h_prev W_hh^T + b_hh).

    x (N, D), h_prev (N, H) -> h (N, H), cache.
    """
    check_recurrent_args(x, {"h_prev": h_prev}, W_ih, W_hh, b_ih, b_hh, 1, seq=False)
    a, _ = linear_forward(x, W_ih, bias_sum(b_ih, b_hh))
    h = _activate(a + h_prev @ W_hh.T, nonlinearity)
    return h, RNNCellCache(x, h_prev, h, W_ih, W_hh, b_ih is not None, nonlinearity)


def rnn_cell_backward(dh, cache: RNNCellCache):
    """dh (N, H) -> dx (N, D), dh_prev (N, H), grads {weight_ih, weight_hh, bias_ih, bias_hh}."""
    da = _activation_grad(dh, cache.h, cache.nonlinearity)  # (N, H)
    grads = weight_grads(da, da, cache.x, cache.h_prev, cache.has_bias)
    return da @ cache.W_ih, da @ cache.W_hh, grads


class RNNCache(NamedTuple):
    x: object  # (T, N, D)
    h0: object  # (N, H)
    hs: object  # (T, N, H)
    W_ih: object
    W_hh: object
    has_bias: bool
    nonlinearity: str


def rnn_forward(x, h0, W_ih, W_hh, b_ih=None, b_hh=None, nonlinearity="tanh"):
    """The whole sequence. x (T, N, D), h0 (N, H) -> hs (T, N, H); the final state is hs[-1]."""
    check_recurrent_args(x, {"h0": h0}, W_ih, W_hh, b_ih, b_hh, 1, seq=True)
    ops = namespace(x)
    xw, _ = linear_forward(x, W_ih, bias_sum(b_ih, b_hh))  # (T, N, H): all inputs in one product
    hs = ops.empty(xw.shape, like=xw)
    h = h0
    for t in range(x.shape[0]):
        h = _activate(xw[t] + h @ W_hh.T, nonlinearity)
        hs[t] = h
    return hs, RNNCache(x, h0, hs, W_ih, W_hh, b_ih is not None, nonlinearity)


def rnn_backward(dhs, cache: RNNCache, dh_last=None):
    """BPTT. dhs (T, N, H) gradient of every output (or None), dh_last (N, H) of the final
    state (or None) -> dx (T, N, D), dh0 (N, H), grads summed over time."""
    ops = namespace(cache.hs)
    hs, W_hh = cache.hs, cache.W_hh
    das = ops.empty(hs.shape, like=hs)  # (T, N, H) gradient of each pre-activation
    dh = dh_last if dh_last is not None else ops.zeros(hs.shape[1:], like=hs)
    for t in range(hs.shape[0] - 1, -1, -1):
        if dhs is not None:
            dh = dh + dhs[t]
        da = _activation_grad(dh, hs[t], cache.nonlinearity)
        das[t] = da
        dh = da @ W_hh  # flows to step t-1
    grads = weight_grads(das, das, cache.x, previous_states(cache.h0, hs), cache.has_bias)
    return das @ cache.W_ih, dh, grads
