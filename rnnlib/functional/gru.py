"""Gated recurrent unit, torch's formula: one step (the reference to read) and the whole
sequence (fast).

Gates in torch's order r, z, n. The reset gate multiplies the recurrent projection
*after* the matrix product (torch and cuDNN; some textbooks apply it before):

    r = sigmoid(x W_ir^T + b_ir + h W_hr^T + b_hr)
    z = sigmoid(x W_iz^T + b_iz + h W_hz^T + b_hz)
    n = tanh(x W_in^T + b_in + r * (h W_hn^T + b_hn))
    h' = (1 - z) * n + z * h  =  n + z * (h - n)

Backward, with a^h_n = h W_hn^T + b_hn:

    dn = dh * (1 - z) * (1 - n^2)      (the gradient of n's pre-activation)
    da_r = dn * a^h_n * r (1 - r)       da_z = dh * (h - n) * z (1 - z)
    dh_prev = dh * z + [da_r, da_z, dn * r] W_hh

so the input projection gets [da_r, da_z, dn] and the recurrent one [da_r, da_z, dn * r].

Shapes: x (N, D), h (N, H), W_ih (3H, D), W_hh (3H, H), biases (3H,);
a sequence x is (T, N, D) and its outputs hs (T, N, H).

Two implementations of the same equations, as in :mod:`.lstm`: ``gru_cell_forward`` /
``gru_cell_backward``, one step in the (N, 3H) layout, one line per equation (the reference);
``gru_forward`` / ``gru_backward``, the whole sequence, gate-major (each gate one contiguous
(H, N) block), the sigmoid gates sharing one tanh call with the 1/2 folded into their weights.
tests/test_fast_equals_readable.py checks that the sequence equals the step looped, to 1e-12.
"""

from __future__ import annotations

from typing import NamedTuple

from .._backend import namespace
from ._common import check_recurrent_args, split_gates, weight_grads
from ._gate_major import gate_major_weight_grads, half_scale, to_gate_major

# -- one step: the reference ---------------------------------------------------------------


class GRUCellCache(NamedTuple):
    x: object  # (N, D)
    h_prev: object  # (N, H)
    r: object  # (N, H) reset gate
    z: object  # (N, H) update gate
    n: object  # (N, H) candidate
    hw_n: object  # (N, H) a^h_n = h_prev W_hn^T + b_hn
    W_ih: object  # (3H, D)
    W_hh: object  # (3H, H)
    has_bias: bool

    @property
    def gates(self):  # (N, 3H) activated r, z, n side by side
        return namespace(self.r).concat([self.r, self.z, self.n], axis=-1)


def gru_cell_forward(x, h_prev, W_ih, W_hh, b_ih=None, b_hh=None):
    """One step. x (N, D), h_prev (N, H) -> h (N, H), cache.

    [ax_r, ax_z, ax_n] = x W_ih^T + b_ih          (N, 3H)
    [ah_r, ah_z, ah_n] = h_prev W_hh^T + b_hh     (N, 3H)
    r = sigmoid(ax_r + ah_r)    z = sigmoid(ax_z + ah_z)
    n = tanh(ax_n + r * ah_n)
    h = (1 - z) * n + z * h_prev
    """
    check_recurrent_args(x, {"h_prev": h_prev}, W_ih, W_hh, b_ih, b_hh, 3, seq=False)
    ops = namespace(x)
    ax = x @ W_ih.mT  # (N, 3H)
    ah = h_prev @ W_hh.mT  # (N, 3H)
    if b_ih is not None:
        ax += b_ih
    if b_hh is not None:
        ah += b_hh
    ax_r, ax_z, ax_n = split_gates(ax, 3)
    ah_r, ah_z, ah_n = split_gates(ah, 3)
    r = ops.sigmoid(ax_r + ah_r)
    z = ops.sigmoid(ax_z + ah_z)
    n = ops.tanh(ax_n + r * ah_n)
    h = (1 - z) * n + z * h_prev
    return h, GRUCellCache(x, h_prev, r, z, n, ah_n, W_ih, W_hh, b_ih is not None)


def gru_cell_backward(dh, cache: GRUCellCache):
    """One step back. dh (N, H) -> dx (N, D), dh_prev (N, H),
    grads {weight_ih, weight_hh, bias_ih, bias_hh}."""
    x, h_prev, r, z, n, hw_n, W_ih, W_hh, has_bias = cache
    ops = namespace(dh)
    dn = dh * (1 - z) * (1 - n * n)  # the gradient of n's pre-activation
    da_r = dn * hw_n * r * (1 - r)
    da_z = dh * (h_prev - n) * z * (1 - z)
    dxw = ops.concat([da_r, da_z, dn], axis=-1)  # (N, 3H) of x W_ih^T + b_ih
    dhw = ops.concat([da_r, da_z, dn * r], axis=-1)  # (N, 3H) of h_prev W_hh^T + b_hh
    dx = dxw @ W_ih
    dh_prev = dh * z + dhw @ W_hh
    return dx, dh_prev, weight_grads(dxw, dhw, x, h_prev, has_bias)


# -- the whole sequence: fast, gate-major -----------------------------------------------------


class GRUCache(NamedTuple):
    x: object  # (T, N, D)
    h0: object  # (N, H)
    hs: object  # (T, N, H)
    hs_gm: object  # (T, H, N)
    gates_gm: object  # (T, 3H, N) activated r, z, n, gate-major
    hw_n_gm: object  # (T, H, N) a^h_n = W_hn h_{t-1}^T + b_hn
    W_ih: object
    W_hh: object
    has_bias: bool

    @property
    def gates(self):  # (T, N, 3H) view of r, z, n
        return self.gates_gm.mT


def gru_forward(x, h0, W_ih, W_hh, b_ih=None, b_hh=None):
    """The whole sequence. x (T, N, D), h0 (N, H) -> hs (T, N, H); the final state is hs[-1]."""
    check_recurrent_args(x, {"h0": h0}, W_ih, W_hh, b_ih, b_hh, 3, seq=True)
    ops = namespace(x)
    T, H = x.shape[0], h0.shape[-1]
    s = half_scale(H, [True, True, False], like=W_hh)  # (3H, 1)
    gates = to_gate_major(x, W_ih * s, None if b_ih is None else b_ih[:, None] * s)
    W_hh_s, b_hh_s = W_hh * s, None if b_hh is None else b_hh[:, None] * s
    N = gates.shape[-1]
    hs_gm, hw_n = ops.empty((T, H, N), like=gates), ops.empty((T, H, N), like=gates)
    hs = ops.empty((T, N, H), like=gates)
    ah, tmp = ops.empty((3 * H, N), like=gates), ops.empty((H, N), like=gates)
    h = h0.mT  # (H, N)
    for t in range(T):
        a = gates[t]  # (3H, N)
        ops.matmul(W_hh_s, h, out=ah)
        if b_hh_s is not None:
            ah += b_hh_s
        rz = a[: 2 * H]
        rz += ah[: 2 * H]
        ops.tanh(rz, out=rz)  # sigmoid = (1 + tanh(a / 2)) / 2
        rz *= 0.5
        rz += 0.5
        r, z, n = a[:H], a[H : 2 * H], a[2 * H :]
        hw_n[t] = ah[2 * H :]
        ops.multiply(r, hw_n[t], out=tmp)
        n += tmp
        ops.tanh(n, out=n)
        h_new = hs_gm[t]
        ops.subtract(h, n, out=h_new)
        h_new *= z
        h_new += n  # n + z (h - n)
        hs[t] = h_new.mT
        h = h_new
    return hs, GRUCache(x, h0, hs, hs_gm, gates, hw_n, W_ih, W_hh, b_ih is not None)


def gru_backward(dhs, cache: GRUCache, dh_last=None):
    """BPTT. dhs (T, N, H) or None, dh_last (N, H) or None -> dx (T, N, D), dh0 (N, H), grads."""
    ops = namespace(cache.hs)
    gates, hs_gm, hw_n = cache.gates_gm, cache.hs_gm, cache.hw_n_gm
    T, H, N = hs_gm.shape
    h0 = ops.contiguous(cache.h0.mT)
    dh = ops.contiguous_copy(dh_last.mT) if dh_last is not None else ops.zeros((H, N), like=hs_gm)
    dxw, dhw = ops.empty((3 * H, N), like=hs_gm), ops.empty((3 * H, N), like=hs_gm)
    dxws, dhws = (ops.empty((3 * H, T, N), like=hs_gm) for _ in range(2))
    tmp, back = ops.empty((H, N), like=hs_gm), ops.empty((H, N), like=hs_gm)
    W_hh_T = cache.W_hh.mT
    mul, sub = ops.multiply, ops.subtract
    for t in range(T - 1, -1, -1):  # every op on a contiguous (H, N) block, in place
        r, z, n = gates[t, :H], gates[t, H : 2 * H], gates[t, 2 * H :]
        da_r, da_z, dn = dxw[:H], dxw[H : 2 * H], dxw[2 * H :]
        h_prev = hs_gm[t - 1] if t > 0 else h0
        if dhs is not None:
            dh += dhs[t].mT
        mul(n, n, out=dn)
        dn -= 1  # n^2 - 1
        mul(z, dh, out=tmp)
        tmp -= dh  # -dh (1 - z)
        dn *= tmp  # dh (1 - z) (1 - n^2)
        mul(r, r, out=da_r)
        sub(r, da_r, out=da_r)
        da_r *= hw_n[t]
        da_r *= dn  # dn a^h_n r (1 - r)
        mul(z, z, out=da_z)
        sub(z, da_z, out=da_z)
        sub(h_prev, n, out=tmp)
        da_z *= tmp
        da_z *= dh  # dh (h - n) z (1 - z)
        dhw[: 2 * H] = dxw[: 2 * H]
        mul(dn, r, out=dhw[2 * H :])
        ops.matmul(W_hh_T, dhw, out=back)
        dh *= z
        dh += back  # dh z + W_hh^T [da_r, da_z, dn r]: flows to step t - 1
        dxws[:, t], dhws[:, t] = dxw, dhw
    dx, grads = gate_major_weight_grads(dxws, dhws, cache, cache.has_bias)
    return dx, ops.contiguous(dh.mT), grads
