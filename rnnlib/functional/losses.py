"""Losses: softmax cross-entropy over a (masked) sequence and mean squared error.

Each ``*_forward`` returns ``(loss, cache)`` with a scalar loss; each
``*_backward(cache, dloss=1.0)`` returns the gradient with respect to the prediction.
"""

from __future__ import annotations

from typing import NamedTuple

from .._backend import namespace
from .._checks import ShapeError


class CrossEntropyCache(NamedTuple):
    probs: object  # (..., C) softmax of the logits
    targets: object  # (...) integer classes
    weights: object  # (...) mask / number of counted positions


def softmax_cross_entropy_forward(logits, targets, mask=None):
    """Mean of -log softmax(logits)[target] over the positions where mask is 1.

    logits (..., C) (for a sequence: (T, N, C)), targets (...) integers in [0, C),
    mask (...) of 0/1 or None (all ones). Padding positions (mask 0) add nothing.
    """
    ops = namespace(logits)
    if tuple(targets.shape) != tuple(logits.shape[:-1]):
        raise ShapeError(
            f"targets: expected shape {tuple(logits.shape[:-1])} (the logits' without C), "
            f"got {tuple(targets.shape)}"
        )
    if mask is not None and tuple(mask.shape) != tuple(targets.shape):
        raise ShapeError(f"mask: expected shape {tuple(targets.shape)}, got {tuple(mask.shape)}")
    C = logits.shape[-1]
    flat = logits.reshape(-1, C)  # (P, C), P positions
    shifted = flat - ops.max(flat, axis=1, keepdims=True)
    e = ops.exp(shifted)
    z = ops.sum(e, axis=1, keepdims=True)
    probs = e / z
    t = targets.reshape(-1)
    rows = ops.arange(t.shape[0], like=logits)
    logp = shifted[rows, t] - ops.log(z[:, 0])  # (P,)
    if mask is None:
        weights = ops.zeros(t.shape, like=logits) + 1.0 / t.shape[0]
    else:
        m = mask.reshape(-1) * 1.0
        count = float(m.sum())
        if count == 0:
            raise ValueError("mask: every position is masked out, the loss is undefined")
        weights = ops.astype(m / count, like=logits)
    loss = -ops.sum(logp * weights)
    return loss, CrossEntropyCache(probs.reshape(logits.shape), targets, weights)


def softmax_cross_entropy_backward(cache: CrossEntropyCache, dloss=1.0):
    """dlogits = (softmax - onehot(target)) * weight * dloss, shape (..., C)."""
    ops = namespace(cache.probs)
    probs, targets, weights = cache
    C = probs.shape[-1]
    d = ops.copy(probs.reshape(-1, C))
    t = targets.reshape(-1)
    d[ops.arange(t.shape[0], like=probs), t] -= 1
    d = d * (weights[:, None] * dloss)
    return d.reshape(probs.shape)


class MSECache(NamedTuple):
    diff: object  # pred - target


def mse_forward(pred, target):
    """L = mean((pred - target)^2) over every element. pred and target: same shape."""
    if tuple(pred.shape) != tuple(target.shape):
        raise ShapeError(f"target: expected shape {tuple(pred.shape)}, got {tuple(target.shape)}")
    diff = pred - target
    return (diff * diff).mean(), MSECache(diff)


def mse_backward(cache: MSECache, dloss=1.0):
    """dpred = 2 (pred - target) / size * dloss."""
    n = 1
    for s in cache.diff.shape:
        n *= s
    return cache.diff * (2.0 * dloss / n)
