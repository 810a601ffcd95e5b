"""Pieces shared by the RNN, LSTM and GRU ops: argument checks and the batched weight gradients."""

from __future__ import annotations

import numpy as np

from .._backend import namespace, same_kind
from .._checks import check_float, check_shape


def check_recurrent_args(x, states, W_ih, W_hh, b_ih, b_hh, gates: int, seq: bool):
    """Validate the arguments of a cell (x (N, D)) or a sequence (x (T, N, D)) op.

    ``states`` maps names ("h_prev", "c0", ...) to arrays of shape (N, H);
    ``gates`` is G: 1 for RNN, 4 for LSTM, 3 for GRU (weights are (G*H, D) and (G*H, H)).
    Returns (N, D, H).
    """
    check_shape("W_hh", W_hh, (None, None), "GH")
    H = W_hh.shape[1]
    check_shape("W_hh", W_hh, (gates * H, H), ("G*H", "H"))
    check_float("W_hh", W_hh)
    check_shape("W_ih", W_ih, (gates * H, None), ("G*H", "D"))
    check_float("W_ih", W_ih, like=W_hh)
    D = W_ih.shape[1]
    if seq:
        check_shape("x", x, (None, None, D), "TND")
        N = x.shape[1]
    else:
        check_shape("x", x, (None, D), "ND")
        N = x.shape[0]
    check_float("x", x, like=W_hh)
    for name, s in states.items():
        check_shape(name, s, (N, H), "NH")
        check_float(name, s, like=W_hh)
    for name, b in (("b_ih", b_ih), ("b_hh", b_hh)):
        if b is not None:
            check_shape(name, b, (gates * H,), ("G*H",))
            check_float(name, b, like=W_hh)
    return N, D, H


def bias_sum(b_ih, b_hh):
    """b_ih + b_hh, or None when the op has no bias."""
    if b_ih is None and b_hh is None:
        return None
    if b_ih is None:
        return b_hh
    if b_hh is None:
        return b_ih
    return b_ih + b_hh


def weight_grads(dxw, dhw, x, h_prev, has_bias: bool) -> dict:
    """Gradients of W_ih, W_hh, b_ih, b_hh from the gradients of the two projections.

    dxw: gradient of x W_ih^T + b_ih, (..., G*H); dhw: of h_prev W_hh^T + b_hh, (..., G*H);
    x (..., D); h_prev (..., H). The leading axes (N, or T and N) are summed: one matrix
    product over every step at once instead of one per step.
    """
    ops = namespace(dxw)
    GH = dxw.shape[-1]
    dxw2 = dxw.reshape(-1, GH)  # (T*N, G*H)
    dhw2 = dxw2 if dhw is dxw else dhw.reshape(-1, GH)
    grads = {
        "weight_ih": dxw2.T @ x.reshape(-1, x.shape[-1]),
        "weight_hh": dhw2.T @ h_prev.reshape(-1, h_prev.shape[-1]),
    }
    if has_bias:
        grads["bias_ih"] = ops.sum(dxw2, axis=0)
        grads["bias_hh"] = ops.copy(grads["bias_ih"]) if dhw is dxw else ops.sum(dhw2, axis=0)
    return grads


def previous_states(h0, hs):
    """(T, N, H): the state each step started from, h0 then hs[:-1]."""
    ops = namespace(hs)
    return ops.concat([h0[None], hs[:-1]], axis=0)


# -- gate-major sequence ops (LSTM, GRU): each gate one contiguous (H, N) block per step ----


def half_scale(H, halved, like):
    """(G*H, 1): 1/2 on the rows of the gates marked in ``halved`` (the sigmoid gates, computed
    as (1 + tanh(a / 2)) / 2), 1 elsewhere; same kind, dtype and device as ``like``."""
    s = np.repeat(np.where(halved, 0.5, 1.0), H)[:, None]
    return same_kind(s, like)


def to_gate_major(x, W, b=None):
    """The input projection of every step, gate-major: W x_t^T + b.
    x (T, N, D), W (G*H, D), b (G*H, 1) or None -> (T, G*H, N), a fresh array."""
    a = W @ x.mT  # (T, G*H, N)
    if b is not None:
        a += b
    return a


def gate_major_weight_grads(dxw, dhw, cache, has_bias: bool):
    """dx and the weight gradients of a sequence op from the gate-major gradients of its two
    projections, in one matrix product each over every step.

    dxw: gradient of W_ih x_t^T + b_ih, (G*H, T, N); dhw: of W_hh h_{t-1}^T + b_hh (may be dxw);
    cache has x (T, N, D), h0 (N, H), hs (T, N, H), W_ih (G*H, D).
    Returns dx (T, N, D) and {weight_ih, weight_hh[, bias_ih, bias_hh]}.
    """
    ops = namespace(dxw)
    GH, T, N = dxw.shape
    x, h0, hs = cache.x, cache.h0, cache.hs
    D, H = x.shape[-1], hs.shape[-1]
    dxw2 = dxw.reshape(GH, T * N)  # (G*H, T*N), columns t-major like the rows of hs
    dhw2 = dxw2 if dhw is dxw else dhw.reshape(GH, T * N)
    grads = {
        "weight_ih": dxw2 @ x.reshape(T * N, D),
        # the state before step t is h0 for t = 0, hs[t - 1] after
        "weight_hh": dhw2[:, :N] @ h0 + dhw2[:, N:] @ hs[:-1].reshape(-1, H),
    }
    if has_bias:
        grads["bias_ih"] = ops.sum(dxw2, axis=1)
        grads["bias_hh"] = ops.copy(grads["bias_ih"]) if dhw is dxw else ops.sum(dhw2, axis=1)
    return (dxw2.mT @ cache.W_ih).reshape(T, N, D), grads
