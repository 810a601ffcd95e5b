"""Long short-term memory: one step and the whole sequence, forward beside backward.

Gates in torch's order i, f, g, o, stacked in one matrix (fused: one product per step):

    [a_i, a_f, a_g, a_o] = x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh      (N, 4H)
    i = sigmoid(a_i)   f = sigmoid(a_f)   g = tanh(a_g)   o = sigmoid(a_o)
    c_t = f * c_{t-1} + i * g          the cell state: a conveyor belt
    h_t = o * tanh(c_t)

Shapes: x_t (N, D), h_t and c_t (N, H), W_ih (4H, D), W_hh (4H, H), biases (4H,);
a sequence x is (T, N, D) and its outputs hs (T, N, H).
"""

from __future__ import annotations

from typing import NamedTuple

from .._backend import namespace
from ._common import bias_sum, check_recurrent_args, previous_states, weight_grads
from .linear import linear_forward


def _gates(a, out):
    """Activate the pre-activations a (N, 4H) into out: sigmoid on i, f, o and tanh on g."""
    ops = namespace(a)
    H = a.shape[-1] // 4
    ops.sigmoid(a[..., : 2 * H], out=out[..., : 2 * H])
    ops.tanh(a[..., 2 * H : 3 * H], out=out[..., 2 * H : 3 * H])
    ops.sigmoid(a[..., 3 * H :], out=out[..., 3 * H :])
    return out


def _step_backward(dh, dc, gates, c_prev, tanh_c, W_hh, da_out):
    """Backward through one step's gates. Writes d(pre-activations) (N, 4H) into da_out and
    returns (dh_prev through the recurrent weights, dc_prev)."""
    H = dh.shape[-1]
    i, f, g, o = (gates[..., k * H : (k + 1) * H] for k in range(4))
    dc = dc + dh * o * (1 - tanh_c * tanh_c)
    da_out[..., :H] = dc * g * i * (1 - i)
    da_out[..., H : 2 * H] = dc * c_prev * f * (1 - f)
    da_out[..., 2 * H : 3 * H] = dc * i * (1 - g * g)
    da_out[..., 3 * H :] = dh * tanh_c * o * (1 - o)
    return da_out @ W_hh, dc * f


class LSTMCellCache(NamedTuple):
    x: object  # (N, D)
    h_prev: object  # (N, H)
    c_prev: object  # (N, H)
    gates: object  # (N, 4H) activated i, f, g, o
    tanh_c: object  # (N, H)
    W_ih: object
    W_hh: object
    has_bias: bool


def lstm_cell_forward(x, h_prev, c_prev, W_ih, W_hh, b_ih=None, b_hh=None):
    """One step. x (N, D), h_prev and c_prev (N, H) -> h (N, H), c (N, H), cache."""
    check_recurrent_args(x, {"h_prev": h_prev, "c_prev": c_prev}, W_ih, W_hh, b_ih, b_hh, 4, False)
    ops = namespace(x)
    a, _ = linear_forward(x, W_ih, bias_sum(b_ih, b_hh))
    a = a + h_prev @ W_hh.T  # (N, 4H)
    gates = _gates(a, ops.empty(a.shape, like=a))
    H = h_prev.shape[-1]
    c = gates[:, H : 2 * H] * c_prev + gates[:, :H] * gates[:, 2 * H : 3 * H]
    tanh_c = ops.tanh(c)
    h = gates[:, 3 * H :] * tanh_c
    return h, c, LSTMCellCache(x, h_prev, c_prev, gates, tanh_c, W_ih, W_hh, b_ih is not None)


def lstm_cell_backward(dh, dc, cache: LSTMCellCache):
    """dh, dc (N, H) (dc may be None) -> dx (N, D), dh_prev (N, H), dc_prev (N, H), grads."""
    ops = namespace(dh)
    if dc is None:
        dc = ops.zeros_like(dh)
    da = ops.empty(cache.gates.shape, like=cache.gates)
    dh_prev, dc_prev = _step_backward(
        dh, dc, cache.gates, cache.c_prev, cache.tanh_c, cache.W_hh, da
    )
    grads = weight_grads(da, da, cache.x, cache.h_prev, cache.has_bias)
    return da @ cache.W_ih, dh_prev, dc_prev, grads


class LSTMCache(NamedTuple):
    x: object  # (T, N, D)
    h0: object  # (N, H)
    c0: object  # (N, H)
    hs: object  # (T, N, H)
    cs: object  # (T, N, H)
    gates: object  # (T, N, 4H) activated i, f, g, o
    tanh_cs: object  # (T, N, H)
    W_ih: object
    W_hh: object
    has_bias: bool


def lstm_forward(x, h0, c0, W_ih, W_hh, b_ih=None, b_hh=None):
    """The whole sequence. x (T, N, D), h0 and c0 (N, H) -> hs (T, N, H), c_T (N, H), cache.

    The input projection of every step is one (T*N, D) x (D, 4H) product before the loop;
    inside the loop only h_{t-1} W_hh^T remains.
    """
    check_recurrent_args(x, {"h0": h0, "c0": c0}, W_ih, W_hh, b_ih, b_hh, 4, seq=True)
    ops = namespace(x)
    T, H = x.shape[0], h0.shape[-1]
    xw, _ = linear_forward(x, W_ih, bias_sum(b_ih, b_hh))  # (T, N, 4H)
    gates = ops.empty(xw.shape, like=xw)
    hs = ops.empty((T,) + tuple(h0.shape), like=xw)
    cs = ops.empty(hs.shape, like=xw)
    tanh_cs = ops.empty(hs.shape, like=xw)
    W_hh_T = W_hh.T
    h, c = h0, c0
    for t in range(T):
        gt = _gates(xw[t] + h @ W_hh_T, gates[t])  # (N, 4H)
        c = gt[:, H : 2 * H] * c + gt[:, :H] * gt[:, 2 * H : 3 * H]
        cs[t] = c
        ops.tanh(c, out=tanh_cs[t])
        h = hs[t]
        h[...] = gt[:, 3 * H :] * tanh_cs[t]
    cache = LSTMCache(x, h0, c0, hs, cs, gates, tanh_cs, W_ih, W_hh, b_ih is not None)
    return hs, c, cache


def lstm_backward(dhs, cache: LSTMCache, dh_last=None, dc_last=None):
    """BPTT. dhs (T, N, H) or None; dh_last, dc_last (N, H) or None: the gradients of the
    final state (carried in from the next window in truncated BPTT).
    Returns dx (T, N, D), dh0 (N, H), dc0 (N, H), grads summed over time."""
    ops = namespace(cache.hs)
    hs, cs, gates = cache.hs, cache.cs, cache.gates
    T = hs.shape[0]
    das = ops.empty(gates.shape, like=gates)  # (T, N, 4H)
    dh = dh_last if dh_last is not None else ops.zeros(hs.shape[1:], like=hs)
    dc = dc_last if dc_last is not None else ops.zeros(hs.shape[1:], like=hs)
    for t in range(T - 1, -1, -1):
        if dhs is not None:
            dh = dh + dhs[t]
        c_prev = cs[t - 1] if t > 0 else cache.c0
        dh, dc = _step_backward(dh, dc, gates[t], c_prev, cache.tanh_cs[t], cache.W_hh, das[t])
    grads = weight_grads(das, das, cache.x, previous_states(cache.h0, hs), cache.has_bias)
    return das @ cache.W_ih, dh, dc, grads
