"""Single-head self-attention and sinusoidal positional encoding ("beyond RNNs").

Every position attends to every (allowed) position of the same sequence in one step,
instead of carrying a state through time:

    Q = x W_q^T + b_q,   K = x W_k^T + b_k,   V = x W_v^T + b_v          (N, T, d)
    A = masked_softmax(Q K^T / sqrt(d))                                  (N, T, T)
    y = (A V) W_o^T + b_o                                                (N, T, d)

The mask keeps key s for query t when s <= t (``causal=True``) and s is not padding
(``key_mask`` (N, T) of 0/1). Batch-first: x (N, T, d) with d = d_model.
Parameters: weight_q, weight_k, weight_v, weight_o (d, d) and bias_q, ... (d,).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .. import functional as F
from .._backend import namespace, to_numpy
from .._checks import check_float, check_shape
from ..init import uniform_default
from .module import Module


def positional_encoding(T, d_model, dtype=np.float64):
    """PE[t, 2i] = sin(t / 10000^(2i/d)), PE[t, 2i+1] = cos(t / 10000^(2i/d)); (T, d_model).

    Added to the inputs so that attention, which by itself ignores order, can tell positions
    apart; each pair of columns is a rotation at its own frequency."""
    t = np.arange(T)[:, None]
    freq = 1.0 / 10000 ** (np.arange(0, d_model, 2) / d_model)  # (ceil(d/2),)
    pe = np.zeros((T, d_model), dtype=dtype)
    pe[:, 0::2] = np.sin(t * freq)
    pe[:, 1::2] = np.cos(t * freq[: d_model // 2])
    return pe


class SelfAttentionCache(NamedTuple):
    q: object  # (N, T, d) and the linear caches of the three projections
    k: object
    v: object
    q_proj: object  # F.LinearCache
    k_proj: object  # F.LinearCache
    v_proj: object  # F.LinearCache
    softmax: object  # F.SoftmaxCache; A (N, T, T)
    out_proj: object  # F.LinearCache
    scale: float  # 1 / sqrt(d)


class SelfAttention(Module):
    """SelfAttention(d_model, causal=False). forward(x (N, T, d), key_mask (N, T) or None)
    -> y (N, T, d); ``self.weights`` holds the last attention map A (N, T, T)."""

    def __init__(self, d_model, *, causal=False, dtype=np.float64, rng=None):
        super().__init__()
        rng = rng if rng is not None else np.random.default_rng()
        self.d_model, self.causal = d_model, causal
        for p in "qkvo":
            self.params[f"weight_{p}"] = uniform_default((d_model, d_model), rng, d_model, dtype)
            self.params[f"bias_{p}"] = uniform_default((d_model,), rng, d_model, dtype)
        self.weights = None

    def forward(self, x, key_mask=None):
        W = self.params["weight_q"]
        check_shape("x", x, (None, None, self.d_model), ("N", "T", "d"))
        check_float("x", x, like=W)
        ops = namespace(x)
        N, T, d = x.shape
        mask = np.ones((N, T, T))
        if self.causal:
            mask = mask * np.tril(np.ones((T, T)))
        if key_mask is not None:
            check_shape("key_mask", key_mask, (N, T), "NT")
            mask = mask * (to_numpy(key_mask) != 0)[:, None, :]
        p = self.params
        q, cq = F.linear_forward(x, p["weight_q"], p["bias_q"])
        k, ck = F.linear_forward(x, p["weight_k"], p["bias_k"])
        v, cv = F.linear_forward(x, p["weight_v"], p["bias_v"])
        scale = 1.0 / d**0.5
        scores = q @ k.mT  # (N, T, T)
        a, ca = F.masked_softmax_forward(scores * scale, ops.astype(mask, like=x))  # (N, T, T)
        z = a @ v  # (N, T, d)
        y, co = F.linear_forward(z, p["weight_o"], p["bias_o"])
        self.weights = a
        self._cache = SelfAttentionCache(q, k, v, cq, ck, cv, ca, co, scale)
        return y

    def backward(self, dy):
        """dy (N, T, d) -> dx (N, T, d); fills grads."""
        q, k, v, cq, ck, cv, ca, co, scale = self._require_cache()
        a = ca.y  # (N, T, T)
        dz, dWo, dbo = F.linear_backward(dy, co)
        da = dz @ v.mT  # (N, T, T)
        dv = a.mT @ dz
        ds = F.masked_softmax_backward(da, ca) * scale
        dq = ds @ k
        dk = ds.mT @ q
        dx, g = 0, {"weight_o": dWo, "bias_o": dbo}
        for name, dproj, cache in (("q", dq, cq), ("k", dk, ck), ("v", dv, cv)):
            dxp, dW, db = F.linear_backward(dproj, cache)
            dx = dx + dxp
            g[f"weight_{name}"], g[f"bias_{name}"] = dW, db
        self.grads = {name: g[name] for name in self.params}
        return dx
