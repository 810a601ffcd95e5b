"""Losses: softmax cross-entropy over a (masked) sequence and mean squared error.

Each ``*_forward`` returns ``(loss, cache)`` with a scalar loss; each
``*_backward(dloss, cache)`` returns the gradient with respect to the prediction, like every
other backward in rnnlib (dout first, cache second). A loss ends the graph, so
``*_backward(cache)`` alone means dloss = 1 (as torch's ``loss.backward()``).
"""

from __future__ import annotations

from typing import NamedTuple

from .._backend import namespace
from .._checks import ShapeError
from .activations import log_softmax


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
    logp_all = log_softmax(flat, axis=1)  # (P, C)
    probs = ops.exp(logp_all)
    t = targets.reshape(-1)
    rows = ops.arange(t.shape[0], like=logits)
    logp = logp_all[rows, t]  # (P,)
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


def _dloss_and_cache(dloss, cache, kind):
    """(dloss, cache) from ``backward(dloss, cache)`` or ``backward(cache)`` (dloss = 1)."""
    if isinstance(dloss, kind):
        if cache is not None:
            raise TypeError(
                f"expected (dloss, cache): the {kind.__name__} goes second, got it first"
            )
        return 1.0, dloss
    if not isinstance(cache, kind):
        raise TypeError(
            f"cache: expected the {kind.__name__} returned by the forward, "
            f"got {type(cache).__name__}"
        )
    return dloss, cache


def softmax_cross_entropy_backward(dloss, cache: CrossEntropyCache | None = None):
    """dlogits = (softmax - onehot(target)) * weight * dloss, shape (..., C).
    ``softmax_cross_entropy_backward(cache)`` means dloss = 1."""
    dloss, cache = _dloss_and_cache(dloss, cache, CrossEntropyCache)
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


def mse_backward(dloss, cache: MSECache | None = None):
    """dpred = 2 (pred - target) / size * dloss. ``mse_backward(cache)`` means dloss = 1."""
    dloss, cache = _dloss_and_cache(dloss, cache, MSECache)
    n = 1
    for s in cache.diff.shape:
        n *= s
    return cache.diff * (2.0 * dloss / n)
