"""Embedding lookup: row ``idx`` of a table W.

Shapes: idx (...) integers in [0, V), W (V, E), out (..., E).
"""

from __future__ import annotations

from typing import NamedTuple

from .._backend import namespace


class EmbeddingCache(NamedTuple):
    idx: object  # (...) integer indices
    W_shape: tuple  # (V, E)
    like: object  # W, for dtype and device of the gradient


def embedding_forward(idx, W):
    """out[...] = W[idx[...]]. idx (...) ints, W (V, E) -> out (..., E)."""
    V = W.shape[0]
    if (idx < 0).any() or (idx >= V).any():
        raise IndexError(f"idx: indices must lie in [0, {V}), got min {idx.min()} max {idx.max()}")
    return W[idx], EmbeddingCache(idx, tuple(W.shape), W)


def embedding_backward(dout, cache: EmbeddingCache):
    """dW[v] = sum of dout over the positions where idx == v. dout (..., E) -> dW (V, E)."""
    ops = namespace(dout)
    V, E = cache.W_shape
    dW = ops.zeros((V, E), like=cache.like)
    return ops.index_add(dW, cache.idx.reshape(-1), dout.reshape(-1, E))
