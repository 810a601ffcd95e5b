"""Attention over a sequence of keys for one query per batch row, forward beside backward.

Masked softmax over S positions (mask 1 = attend, 0 = padding, which gets exactly 0 weight):

    a_s = softmax_s(e_s) over {s : mask_s = 1}

Dot-product attention (Luong) and scaled dot-product attention (Vaswani):

    e_s = q . k_s            (scale=False)
    e_s = q . k_s / sqrt(H)  (scale=True)
    context = sum_s a_s v_s

Additive attention (Bahdanau):

    e_s = v . tanh(W_q q + W_k k_s)
    context = sum_s a_s v_s

Shapes: query q (N, H) (additive: (N, Hq)), keys (N, S, H) (additive: (N, S, Hk)),
values (N, S, Dv), mask (N, S) of 0/1 or None, weights a (N, S), context (N, Dv);
additive parameters W_q (A, Hq), W_k (A, Hk), v (A,).
"""

from __future__ import annotations

from typing import NamedTuple

from .._backend import namespace
from .._checks import ShapeError, check_float, check_shape
from .activations import SoftmaxCache, softmax_backward, softmax_forward


def masked_softmax_forward(scores, mask=None):
    """a = softmax(scores) along the last axis, restricted to mask == 1.

    scores (N, S), mask (N, S) of 0/1 or None -> a (N, S), cache. Masked positions get exactly
    0; every row must keep at least one position."""
    ops = namespace(scores)
    if mask is not None:
        if tuple(mask.shape) != tuple(scores.shape):
            raise ShapeError(f"mask: expected shape {tuple(scores.shape)}, got {tuple(mask.shape)}")
        keep = mask != 0
        if not bool(keep.any(-1).all()):
            raise ValueError("mask: a row masks every position, its softmax is undefined")
        scores = ops.where(keep, scores, ops.zeros_like(scores) - float("inf"))
    return softmax_forward(scores, axis=-1)  # exp(-inf) = 0 exactly


def masked_softmax_backward(da, cache: SoftmaxCache):
    """dscores = a * (da - sum_s da_s a_s); 0 at masked positions since a is 0 there."""
    return softmax_backward(da, cache)


def _check_kv(query, keys, values, mask, same_dim=True):
    check_shape("keys", keys, (None, None, query.shape[-1] if same_dim else None), "NSH")
    N, S = keys.shape[0], keys.shape[1]
    check_shape("query", query, (N, None), "NH")
    check_shape("values", values, (N, S, None), "NSV")
    for name, t in (("query", query), ("values", values)):
        check_float(name, t, like=keys)
    if mask is not None:
        check_shape("mask", mask, (N, S), "NS")


class DotAttentionCache(NamedTuple):
    query: object  # (N, H)
    keys: object  # (N, S, H)
    values: object  # (N, S, Dv)
    weights: object  # (N, S)
    scale: float  # 1 or 1/sqrt(H)


def dot_attention_forward(query, keys, values, mask=None, scale=False):
    """e = keys q (/ sqrt(H) if scale), a = masked_softmax(e), context = a values.

    query (N, H), keys (N, S, H), values (N, S, Dv), mask (N, S) or None
    -> context (N, Dv), weights (N, S), cache."""
    _check_kv(query, keys, values, mask)
    c = 1.0 / float(query.shape[-1]) ** 0.5 if scale else 1.0
    scores = (keys @ query[:, :, None])[:, :, 0] * c  # (N, S)
    a, _ = masked_softmax_forward(scores, mask)
    context = (a[:, None, :] @ values)[:, 0, :]  # (N, Dv)
    return context, a, DotAttentionCache(query, keys, values, a, c)


def dot_attention_backward(dcontext, cache: DotAttentionCache, dweights=None):
    """dcontext (N, Dv), dweights (N, S) or None -> dquery (N, H), dkeys (N, S, H),
    dvalues (N, S, Dv)."""
    a = cache.weights
    dvalues = a[:, :, None] * dcontext[:, None, :]  # (N, S, Dv)
    da = (cache.values @ dcontext[:, :, None])[:, :, 0]  # (N, S)
    if dweights is not None:
        da = da + dweights
    de = softmax_backward(da, SoftmaxCache(a, -1)) * cache.scale  # (N, S)
    dquery = (de[:, None, :] @ cache.keys)[:, 0, :]  # (N, H)
    dkeys = de[:, :, None] * cache.query[:, None, :]  # (N, S, H)
    return dquery, dkeys, dvalues


class AdditiveAttentionCache(NamedTuple):
    query: object  # (N, Hq)
    keys: object  # (N, S, Hk)
    values: object  # (N, S, Dv)
    hidden: object  # (N, S, A) tanh(W_q q + W_k k_s)
    weights: object  # (N, S)
    W_q: object
    W_k: object
    v: object


def additive_attention_forward(query, keys, values, W_q, W_k, v, mask=None):
    """Bahdanau: e_s = v . tanh(W_q q + W_k k_s), a = masked_softmax(e), context = a values.

    query (N, Hq), keys (N, S, Hk), values (N, S, Dv), W_q (A, Hq), W_k (A, Hk), v (A,),
    mask (N, S) or None -> context (N, Dv), weights (N, S), cache."""
    _check_kv(query, keys, values, mask, same_dim=False)
    check_shape("W_q", W_q, (None, query.shape[-1]), ("A", "Hq"))
    check_shape("W_k", W_k, (W_q.shape[0], keys.shape[-1]), ("A", "Hk"))
    check_shape("v", v, (W_q.shape[0],), ("A",))
    ops = namespace(keys)
    hidden = ops.tanh((query @ W_q.T)[:, None, :] + keys @ W_k.T)  # (N, S, A)
    scores = hidden @ v  # (N, S)
    a, _ = masked_softmax_forward(scores, mask)
    context = (a[:, None, :] @ values)[:, 0, :]  # (N, Dv)
    cache = AdditiveAttentionCache(query, keys, values, hidden, a, W_q, W_k, v)
    return context, a, cache


def additive_attention_backward(dcontext, cache: AdditiveAttentionCache, dweights=None):
    """dcontext (N, Dv), dweights (N, S) or None -> dquery (N, Hq), dkeys (N, S, Hk),
    dvalues (N, S, Dv), grads {"W_q": (A, Hq), "W_k": (A, Hk), "v": (A,)}."""
    ops = namespace(dcontext)
    a, hidden = cache.weights, cache.hidden
    dvalues = a[:, :, None] * dcontext[:, None, :]
    da = (cache.values @ dcontext[:, :, None])[:, :, 0]
    if dweights is not None:
        da = da + dweights
    de = softmax_backward(da, SoftmaxCache(a, -1))  # (N, S)
    dv = ops.sum((de[:, :, None] * hidden).reshape(-1, hidden.shape[-1]), axis=0)  # (A,)
    dpre = de[:, :, None] * cache.v * (1 - hidden * hidden)  # (N, S, A)
    dq_proj = ops.sum(dpre, axis=1)  # (N, A)
    dquery = dq_proj @ cache.W_q
    dkeys = dpre @ cache.W_k
    dW_q = dq_proj.T @ cache.query
    dW_k = dpre.reshape(-1, dpre.shape[-1]).T @ cache.keys.reshape(-1, cache.keys.shape[-1])
    return dquery, dkeys, dvalues, {"W_q": dW_q, "W_k": dW_k, "v": dv}
