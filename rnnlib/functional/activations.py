"""Elementwise activations and softmax: each forward beside its backward.

Every ``*_forward(x) -> (y, cache)`` pairs with ``*_backward(dy, cache) -> dx``.
The cache keeps the *output* where the derivative is cheaper in terms of it:
tanh' = 1 - y^2, sigmoid' = y (1 - y).
"""

from __future__ import annotations

from typing import NamedTuple

from .._backend import namespace


class OutCache(NamedTuple):
    y: object  # the activation's output, same shape as x


class InCache(NamedTuple):
    x: object  # the activation's input


def tanh_forward(x):
    """y = tanh(x), any shape."""
    y = namespace(x).tanh(x)
    return y, OutCache(y)


def tanh_backward(dy, cache: OutCache):
    """dx = dy * (1 - y^2)."""
    return dy * (1 - cache.y * cache.y)


def sigmoid_forward(x):
    """y = 1 / (1 + exp(-x)), any shape (computed as (1 + tanh(x/2)) / 2, which never overflows)."""
    y = namespace(x).sigmoid(x)
    return y, OutCache(y)


def sigmoid_backward(dy, cache: OutCache):
    """dx = dy * y * (1 - y)."""
    return dy * cache.y * (1 - cache.y)


def relu_forward(x):
    """y = max(x, 0), any shape."""
    return namespace(x).maximum(x, 0), InCache(x)


def relu_backward(dy, cache: InCache):
    """dx = dy where x > 0, else 0."""
    return dy * (cache.x > 0)


class SoftmaxCache(NamedTuple):
    y: object  # the softmax, same shape as x
    axis: int


def log_softmax(x, axis: int = -1):
    """log softmax(x)_i = (x_i - max x) - log sum_j exp(x_j - max x) along ``axis``.

    Subtracting the max keeps exp from overflowing; entries of x equal to -inf (masked out)
    give -inf, and every softmax in rnnlib (attention, cross-entropy, sampling) goes through
    here."""
    ops = namespace(x)
    shifted = x - ops.max(x, axis=axis, keepdims=True)
    return shifted - ops.log(ops.sum(ops.exp(shifted), axis=axis, keepdims=True))


def softmax_forward(x, axis: int = -1):
    """y_i = exp(x_i) / sum_j exp(x_j) along ``axis`` (default: last), computed stably as
    exp(log_softmax(x)); -inf entries get exactly 0."""
    y = namespace(x).exp(log_softmax(x, axis))
    return y, SoftmaxCache(y, axis)


def softmax_backward(dy, cache: SoftmaxCache):
    """dx = y * (dy - sum(dy * y)) along the softmax axis (the Jacobian-vector product)."""
    y, axis = cache
    return y * (dy - namespace(y).sum(dy * y, axis=axis, keepdims=True))


ACTIVATIONS = {
    "tanh": (tanh_forward, tanh_backward),
    "sigmoid": (sigmoid_forward, sigmoid_backward),
    "relu": (relu_forward, relu_backward),
}
