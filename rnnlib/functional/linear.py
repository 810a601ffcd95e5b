"""Affine map, torch layout: ``y = x W^T + b``.

Shapes: x (..., D), W (M, D), b (M,), y (..., M). Any number of leading axes,
so the same op projects one step (N, D) or a whole sequence (T, N, D) at once.
"""

from __future__ import annotations

from typing import NamedTuple

from .._backend import namespace


class LinearCache(NamedTuple):
    x: object  # (..., D)
    W: object  # (M, D)
    has_bias: bool


def linear_forward(x, W, b=None):
    """y = x W^T + b. x (..., D), W (M, D), b (M,) or None -> y (..., M)."""
    y = x @ W.T
    if b is not None:
        y = y + b
    return y, LinearCache(x, W, b is not None)


def linear_backward(dy, cache: LinearCache):
    """dy (..., M) -> dx (..., D), dW (M, D) = sum dy^T x, db (M,) = sum dy (None without bias)."""
    x, W, has_bias = cache
    D, M = x.shape[-1], dy.shape[-1]
    dy2 = dy.reshape(-1, M)  # (N', M): every leading axis is a batch axis
    dW = dy2.T @ x.reshape(-1, D)
    db = namespace(dy).sum(dy2, axis=0) if has_bias else None
    return dy @ W, dW, db
