"""Gated recurrent unit, torch's formula: the whole sequence and one step.

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

Speed: as in :mod:`.lstm`, the time loop works gate-major (each gate one contiguous (H, N)
block) and the sigmoid gates share one tanh call, with the 1/2 folded into their weights.
"""

from __future__ import annotations

from typing import NamedTuple

from .._backend import namespace
from ._common import check_recurrent_args, gate_major_weight_grads, half_scale, to_gate_major


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
    def gates(self):  # (T, N, 3H) view
        return self.gates_gm.mT

    @property
    def hw_n(self):  # (T, N, H) view
        return self.hw_n_gm.mT


def gru_forward(x, h0, W_ih, W_hh, b_ih=None, b_hh=None):
    """The whole sequence. x (T, N, D), h0 (N, H) -> hs (T, N, H); the final state is hs[-1]."""
    check_recurrent_args(x, {"h0": h0}, W_ih, W_hh, b_ih, b_hh, 3, seq=True)
    return _gru_forward(x, h0, W_ih, W_hh, b_ih, b_hh)


def _gru_forward(x, h0, W_ih, W_hh, b_ih, b_hh):  # gru_forward with its arguments checked
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


class GRUCellCache(NamedTuple):
    seq: GRUCache  # the step as a sequence of length 1

    x = property(lambda self: self.seq.x[0])  # (N, D)
    h_prev = property(lambda self: self.seq.h0)  # (N, H)
    gates = property(lambda self: self.seq.gates[0])  # (N, 3H) activated r, z, n
    hw_n = property(lambda self: self.seq.hw_n[0])  # (N, H) h_prev W_hn^T + b_hn


def gru_cell_forward(x, h_prev, W_ih, W_hh, b_ih=None, b_hh=None):
    """One step. x (N, D), h_prev (N, H) -> h (N, H), cache."""
    check_recurrent_args(x, {"h_prev": h_prev}, W_ih, W_hh, b_ih, b_hh, 3, seq=False)
    hs, cache = _gru_forward(x[None], h_prev, W_ih, W_hh, b_ih, b_hh)
    return hs[0], GRUCellCache(cache)


def gru_cell_backward(dh, cache: GRUCellCache):
    """dh (N, H) -> dx (N, D), dh_prev (N, H), grads {weight_ih, weight_hh, bias_ih, bias_hh}."""
    dx, dh_prev, grads = gru_backward(None, cache.seq, dh_last=dh)
    return dx[0], dh_prev, grads
