"""Long short-term memory: one step (the reference to read) and the whole sequence (fast).

Gates in torch's order i, f, g, o, stacked in one matrix (fused: one product per step):

    [a_i, a_f, a_g, a_o] = x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh      (N, 4H)
    i = sigmoid(a_i)   f = sigmoid(a_f)   g = tanh(a_g)   o = sigmoid(a_o)
    c_t = f * c_{t-1} + i * g          the cell state: a conveyor belt
    h_t = o * tanh(c_t)

Backward, with dc the total gradient of c_t (from c_{t+1} and through h_t = o tanh(c_t)):

    dc = dc_{t+1} * f_{t+1} + dh * o * (1 - tanh(c_t)^2)
    da_i = dc * g * i (1 - i)    da_f = dc * c_{t-1} * f (1 - f)
    da_g = dc * i * (1 - g^2)    da_o = dh * tanh(c_t) * o (1 - o)

Shapes: x_t (N, D), h_t and c_t (N, H), W_ih (4H, D), W_hh (4H, H), biases (4H,);
a sequence x is (T, N, D) and its outputs hs (T, N, H).

Two implementations of the same equations:

- ``lstm_cell_forward`` / ``lstm_cell_backward``: one step, one line per equation, in the
  (N, 4H) layout. This is the reference; a sequence is a loop over it.
- ``lstm_forward`` / ``lstm_backward``: the whole sequence, fast. Inside the time loop they
  work *gate-major*, on a^T = W_hh h^T (4H, N), so that each gate is one contiguous (H, N)
  block: elementwise ufuncs on contiguous blocks run 2-3x faster than on the (N, H) column
  slices of an (N, 4H) array. The sigmoid gates use sigmoid(a) = (1 + tanh(a / 2)) / 2 with
  the 1/2 folded into their weight rows (exact: a power of two), so one tanh call activates
  all four gates; the backward works in place. tests/test_fast_equals_readable.py checks that
  they equal the step looped over time, to 1e-12.
"""

from __future__ import annotations

from typing import NamedTuple

from .._backend import namespace
from ._common import bias_sum, check_recurrent_args, split_gates, weight_grads
from ._gate_major import gate_major_weight_grads, half_scale, to_gate_major

# -- one step: the reference ---------------------------------------------------------------


class LSTMCellCache(NamedTuple):
    x: object  # (N, D)
    h_prev: object  # (N, H)
    c_prev: object  # (N, H)
    i: object  # (N, H) input gate
    f: object  # (N, H) forget gate
    g: object  # (N, H) candidate
    o: object  # (N, H) output gate
    tanh_c: object  # (N, H) tanh(c_t)
    W_ih: object  # (4H, D)
    W_hh: object  # (4H, H)
    has_bias: bool

    @property
    def gates(self):  # (N, 4H) activated i, f, g, o side by side
        return namespace(self.i).concat([self.i, self.f, self.g, self.o], axis=-1)


def lstm_cell_forward(x, h_prev, c_prev, W_ih, W_hh, b_ih=None, b_hh=None):
    """One step. x (N, D), h_prev and c_prev (N, H) -> h (N, H), c (N, H), cache.

    a = x W_ih^T + h_prev W_hh^T + b_ih + b_hh       (N, 4H), split into a_i, a_f, a_g, a_o
    i, f, g, o = sigmoid(a_i), sigmoid(a_f), tanh(a_g), sigmoid(a_o)
    c = f * c_prev + i * g
    h = o * tanh(c)
    """
    check_recurrent_args(x, {"h_prev": h_prev, "c_prev": c_prev}, W_ih, W_hh, b_ih, b_hh, 4, False)
    ops = namespace(x)
    a = x @ W_ih.mT + h_prev @ W_hh.mT  # (N, 4H)
    b = bias_sum(b_ih, b_hh)
    if b is not None:
        a += b
    a_i, a_f, a_g, a_o = split_gates(a, 4)  # each (N, H)
    i = ops.sigmoid(a_i)
    f = ops.sigmoid(a_f)
    g = ops.tanh(a_g)
    o = ops.sigmoid(a_o)
    c = f * c_prev + i * g
    tanh_c = ops.tanh(c)
    h = o * tanh_c
    cache = LSTMCellCache(x, h_prev, c_prev, i, f, g, o, tanh_c, W_ih, W_hh, b is not None)
    return h, c, cache


def lstm_cell_backward(dh, dc, cache: LSTMCellCache):
    """One step back. dh, dc (N, H): the gradients of h and c (dc may be None)
    -> dx (N, D), dh_prev (N, H), dc_prev (N, H), grads {weight_ih, weight_hh, bias_ih, bias_hh}.
    """
    x, h_prev, c_prev, i, f, g, o, tanh_c, W_ih, W_hh, has_bias = cache
    ops = namespace(dh)
    dc = dh * o * (1 - tanh_c * tanh_c) + (dc if dc is not None else 0)  # through h = o tanh(c)
    da_i = dc * g * i * (1 - i)
    da_f = dc * c_prev * f * (1 - f)
    da_g = dc * i * (1 - g * g)
    da_o = dh * tanh_c * o * (1 - o)
    da = ops.concat([da_i, da_f, da_g, da_o], axis=-1)  # (N, 4H)
    dx = da @ W_ih
    dh_prev = da @ W_hh
    dc_prev = dc * f
    return dx, dh_prev, dc_prev, weight_grads(da, da, x, h_prev, has_bias)


# -- the whole sequence: fast, gate-major -----------------------------------------------------


class LSTMCache(NamedTuple):
    x: object  # (T, N, D)
    h0: object  # (N, H)
    c0: object  # (N, H)
    hs: object  # (T, N, H)
    gates_gm: object  # (T, 4H, N) activated i, f, g, o, gate-major
    cs_gm: object  # (T, H, N) c_t
    tanh_cs_gm: object  # (T, H, N) tanh(c_t)
    W_ih: object
    W_hh: object
    has_bias: bool

    @property
    def gates(self):  # (T, N, 4H) view of i, f, g, o
        return self.gates_gm.mT


def lstm_forward(x, h0, c0, W_ih, W_hh, b_ih=None, b_hh=None):
    """The whole sequence. x (T, N, D), h0 and c0 (N, H) -> hs (T, N, H), c_T (N, H), cache.

    The input projection of every step is one product before the loop; inside the loop only
    W_hh h_{t-1}^T remains.
    """
    check_recurrent_args(x, {"h0": h0, "c0": c0}, W_ih, W_hh, b_ih, b_hh, 4, seq=True)
    ops = namespace(x)
    T, H = x.shape[0], h0.shape[-1]
    s = half_scale(H, [True, True, False, True], like=W_hh)  # (4H, 1)
    b = bias_sum(b_ih, b_hh)
    gates = to_gate_major(x, W_ih * s, None if b is None else b[:, None] * s)  # (T, 4H, N)
    W_hh_s = W_hh * s
    N = gates.shape[-1]
    cs, tanh_cs = (ops.empty((T, H, N), like=gates) for _ in range(2))
    hs = ops.empty((T, N, H), like=gates)
    ah, ig = ops.empty((4 * H, N), like=gates), ops.empty((H, N), like=gates)
    h, c = ops.contiguous_copy(h0.mT), c0.mT  # (H, N); h is a buffer written in place
    for t in range(T):
        a = gates[t]  # (4H, N)
        ops.matmul(W_hh_s, h, out=ah)
        a += ah
        ops.tanh(a, out=a)  # tanh(a_g); tanh(a / 2) for i, f, o
        for block in (a[: 2 * H], a[3 * H :]):  # sigmoid = (1 + tanh(a / 2)) / 2
            block *= 0.5
            block += 0.5
        i, f, g, o = a[:H], a[H : 2 * H], a[2 * H : 3 * H], a[3 * H :]
        ops.multiply(f, c, out=cs[t])
        ops.multiply(i, g, out=ig)
        cs[t] += ig
        ops.tanh(cs[t], out=tanh_cs[t])
        ops.multiply(o, tanh_cs[t], out=h)  # h was read by this step's product already
        hs[t] = h.mT
        c = cs[t]
    cache = LSTMCache(x, h0, c0, hs, gates, cs, tanh_cs, W_ih, W_hh, b_ih is not None)
    return hs, ops.contiguous_copy(c.mT), cache


def lstm_backward(dhs, cache: LSTMCache, dh_last=None, dc_last=None):
    """BPTT. dhs (T, N, H) or None; dh_last, dc_last (N, H) or None: the gradients of the
    final state (carried in from the next window in truncated BPTT).
    Returns dx (T, N, D), dh0 (N, H), dc0 (N, H), grads summed over time."""
    ops = namespace(cache.hs)
    gates, cs, tanh_cs = cache.gates_gm, cache.cs_gm, cache.tanh_cs_gm
    T, H, N = cs.shape
    c0 = ops.contiguous(cache.c0.mT)
    dh = ops.contiguous_copy(dh_last.mT) if dh_last is not None else ops.zeros((H, N), like=cs)
    dc = ops.contiguous_copy(dc_last.mT) if dc_last is not None else ops.zeros((H, N), like=cs)
    da = ops.empty((4 * H, N), like=cs)  # this step's, contiguous
    das = ops.empty((4 * H, T, N), like=cs)  # every step's, for the weight gradients
    tmp = ops.empty((H, N), like=cs)
    W_hh_T = cache.W_hh.mT
    mul, sub = ops.multiply, ops.subtract
    for t in range(T - 1, -1, -1):  # every op on a contiguous (H, N) block, in place
        i, f, g, o = (gates[t, k * H : (k + 1) * H] for k in range(4))
        da_i, da_f, da_g, da_o = (da[k * H : (k + 1) * H] for k in range(4))
        tanh_c, c_prev = tanh_cs[t], cs[t - 1] if t > 0 else c0
        if dhs is not None:
            dh += dhs[t].mT
        mul(o, dh, out=tmp)  # dh o
        dc += tmp
        tmp *= tanh_c  # dh o tanh(c)
        mul(tmp, o, out=da_o)
        sub(tmp, da_o, out=da_o)  # dh tanh(c) o (1 - o)
        tmp *= tanh_c
        dc -= tmp  # dc + dh o (1 - tanh(c)^2)
        mul(i, i, out=da_i)
        sub(i, da_i, out=da_i)
        da_i *= g
        da_i *= dc  # dc g i (1 - i)
        mul(f, f, out=da_f)
        sub(f, da_f, out=da_f)
        da_f *= c_prev
        da_f *= dc  # dc c_prev f (1 - f)
        mul(g, g, out=da_g)
        da_g *= i
        sub(i, da_g, out=da_g)
        da_g *= dc  # dc i (1 - g^2)
        dc *= f  # flows to step t - 1 along the cell state
        ops.matmul(W_hh_T, da, out=dh)  # (H, N) flows to step t - 1
        das[:, t] = da
    dx, grads = gate_major_weight_grads(das, das, cache, cache.has_bias)
    return dx, ops.contiguous(dh.mT), ops.contiguous(dc.mT), grads
