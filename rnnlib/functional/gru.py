"""Gated recurrent unit, torch's formula: one step and the whole sequence.

Gates in torch's order r, z, n. The reset gate multiplies the recurrent projection
*after* the matrix product (torch and cuDNN; some textbooks apply it before):

    r = sigmoid(x W_ir^T + b_ir + h W_hr^T + b_hr)
    z = sigmoid(x W_iz^T + b_iz + h W_hz^T + b_hz)
    n = tanh(x W_in^T + b_in + r * (h W_hn^T + b_hn))
    h' = (1 - z) * n + z * h

Shapes: x (N, D), h (N, H), W_ih (3H, D), W_hh (3H, H), biases (3H,);
a sequence x is (T, N, D) and its outputs hs (T, N, H).
"""

from __future__ import annotations

from typing import NamedTuple

from .._backend import namespace
from ._common import check_recurrent_args, previous_states, weight_grads
from .linear import linear_forward


def _step(xw, h, W_hh, b_hh, gates, hw_n):
    """One step from the input projection xw (N, 3H). Writes activated r, z, n into gates
    (N, 3H) and h W_hn^T + b_hn into hw_n (N, H); returns h' (N, H)."""
    ops = namespace(xw)
    H = h.shape[-1]
    hw = h @ W_hh.T  # (N, 3H)
    if b_hh is not None:
        hw = hw + b_hh
    ops.sigmoid(xw[:, : 2 * H] + hw[:, : 2 * H], out=gates[:, : 2 * H])
    hw_n[...] = hw[:, 2 * H :]
    n = gates[:, 2 * H :]
    ops.tanh(xw[:, 2 * H :] + gates[:, :H] * hw_n, out=n)
    z = gates[:, H : 2 * H]
    return n + z * (h - n)


def _step_backward(dh, h_prev, gates, hw_n, W_hh, dxw, dhw):
    """Backward through one step. Writes the gradients of the input projection (N, 3H)
    into dxw and of the recurrent projection into dhw; returns dh_prev (N, H)."""
    H = dh.shape[-1]
    r, z, n = gates[:, :H], gates[:, H : 2 * H], gates[:, 2 * H :]
    dn = dh * (1 - z) * (1 - n * n)  # through tanh
    dxw[:, :H] = dh_r = dn * hw_n * r * (1 - r)
    dxw[:, H : 2 * H] = dh_z = dh * (h_prev - n) * z * (1 - z)
    dxw[:, 2 * H :] = dn
    dhw[:, :H] = dh_r
    dhw[:, H : 2 * H] = dh_z
    dhw[:, 2 * H :] = dn * r
    return dh * z + dhw @ W_hh


class GRUCellCache(NamedTuple):
    x: object  # (N, D)
    h_prev: object  # (N, H)
    gates: object  # (N, 3H) activated r, z, n
    hw_n: object  # (N, H) h_prev W_hn^T + b_hn
    W_ih: object
    W_hh: object
    has_bias: bool


def gru_cell_forward(x, h_prev, W_ih, W_hh, b_ih=None, b_hh=None):
    """One step. x (N, D), h_prev (N, H) -> h (N, H), cache."""
    check_recurrent_args(x, {"h_prev": h_prev}, W_ih, W_hh, b_ih, b_hh, 3, seq=False)
    ops = namespace(x)
    xw, _ = linear_forward(x, W_ih, b_ih)  # (N, 3H)
    gates = ops.empty(xw.shape, like=xw)
    hw_n = ops.empty(h_prev.shape, like=xw)
    h = _step(xw, h_prev, W_hh, b_hh, gates, hw_n)
    return h, GRUCellCache(x, h_prev, gates, hw_n, W_ih, W_hh, b_ih is not None)


def gru_cell_backward(dh, cache: GRUCellCache):
    """dh (N, H) -> dx (N, D), dh_prev (N, H), grads {weight_ih, weight_hh, bias_ih, bias_hh}."""
    ops = namespace(dh)
    dxw = ops.empty(cache.gates.shape, like=cache.gates)
    dhw = ops.empty(cache.gates.shape, like=cache.gates)
    dh_prev = _step_backward(dh, cache.h_prev, cache.gates, cache.hw_n, cache.W_hh, dxw, dhw)
    grads = weight_grads(dxw, dhw, cache.x, cache.h_prev, cache.has_bias)
    return dxw @ cache.W_ih, dh_prev, grads


class GRUCache(NamedTuple):
    x: object  # (T, N, D)
    h0: object  # (N, H)
    hs: object  # (T, N, H)
    gates: object  # (T, N, 3H)
    hw_n: object  # (T, N, H)
    W_ih: object
    W_hh: object
    has_bias: bool


def gru_forward(x, h0, W_ih, W_hh, b_ih=None, b_hh=None):
    """The whole sequence. x (T, N, D), h0 (N, H) -> hs (T, N, H); the final state is hs[-1]."""
    check_recurrent_args(x, {"h0": h0}, W_ih, W_hh, b_ih, b_hh, 3, seq=True)
    ops = namespace(x)
    T = x.shape[0]
    xw, _ = linear_forward(x, W_ih, b_ih)  # (T, N, 3H): every step's input projection at once
    gates = ops.empty(xw.shape, like=xw)
    hs = ops.empty((T,) + tuple(h0.shape), like=xw)
    hw_n = ops.empty(hs.shape, like=xw)
    h = h0
    for t in range(T):
        h = _step(xw[t], h, W_hh, b_hh, gates[t], hw_n[t])
        hs[t] = h
    return hs, GRUCache(x, h0, hs, gates, hw_n, W_ih, W_hh, b_ih is not None)


def gru_backward(dhs, cache: GRUCache, dh_last=None):
    """BPTT. dhs (T, N, H) or None, dh_last (N, H) or None -> dx (T, N, D), dh0 (N, H), grads."""
    ops = namespace(cache.hs)
    hs, gates = cache.hs, cache.gates
    dxw = ops.empty(gates.shape, like=gates)  # (T, N, 3H)
    dhw = ops.empty(gates.shape, like=gates)
    h_prev = previous_states(cache.h0, hs)  # (T, N, H)
    dh = dh_last if dh_last is not None else ops.zeros(hs.shape[1:], like=hs)
    for t in range(hs.shape[0] - 1, -1, -1):
        if dhs is not None:
            dh = dh + dhs[t]
        dh = _step_backward(dh, h_prev[t], gates[t], cache.hw_n[t], cache.W_hh, dxw[t], dhw[t])
    grads = weight_grads(dxw, dhw, cache.x, h_prev, cache.has_bias)
    return dxw @ cache.W_ih, dh, grads
