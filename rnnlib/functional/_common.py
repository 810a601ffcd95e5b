"""Pieces shared by the RNN, LSTM and GRU ops: argument checks and the batched weight gradients."""

from __future__ import annotations

from .._backend import namespace
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


def split_gates(a, G: int):
    """(..., G*H) -> G views (..., H), one per gate, in the order they are stacked."""
    H = a.shape[-1] // G
    return tuple(a[..., k * H : (k + 1) * H] for k in range(G))


def previous_states(h0, hs):
    """(T, N, H): the state each step started from, h0 then hs[:-1]."""
    ops = namespace(hs)
    return ops.concat([h0[None], hs[:-1]], axis=0)
