"""The pieces of the fast LSTM and GRU sequence ops that work gate-major: inside the time
loop each gate is one contiguous (H, N) block (see :mod:`.lstm` for why)."""

from __future__ import annotations

import numpy as np

from .._backend import namespace, same_kind


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
