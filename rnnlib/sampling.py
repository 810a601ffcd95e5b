"""Sampling from a model's next-token logits: temperature, top-k, and a generic generation loop.

With logits z (C,) and temperature tau > 0, the sampling distribution is

    p_i = exp(z_i / tau) / sum_j exp(z_j / tau)

tau -> 0 tends to argmax (greedy; ``temperature=0`` *is* argmax), tau = 1 is the model's
distribution, tau > 1 flattens it. Top-k keeps the k largest logits and renormalises over
them, so a token outside the k best is never drawn.

Logits may be numpy arrays or torch tensors (any device); sampling itself runs in numpy.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ._backend import to_numpy
from ._checks import ShapeError
from .functional.activations import softmax_forward

__all__ = ["softmax_temperature", "sample_next", "sample_sequence"]


def softmax_temperature(logits, temperature: float = 1.0, top_k: int | None = None) -> np.ndarray:
    """The sampling distribution: softmax(logits / temperature) over the ``top_k`` largest
    logits (others get probability 0). logits (C,) or (N, C) -> probs float64, same shape.
    ``temperature=0`` gives a one-hot on the argmax."""
    z = to_numpy(logits, dtype=np.float64)
    if z.ndim not in (1, 2):
        raise ShapeError(f"logits: expected shape (C,) or (N, C), got {z.shape}")
    if temperature < 0:
        raise ValueError(f"temperature: expected a number >= 0, got {temperature}")
    C = z.shape[-1]
    if top_k is not None:
        if not isinstance(top_k, (int, np.integer)) or not 1 <= top_k <= C:
            raise ValueError(f"top_k: expected an integer in [1, {C}] or None, got {top_k!r}")
        kth = np.sort(z, axis=-1)[..., C - top_k][..., None]  # the k-th largest logit
        z = np.where(z >= kth, z, -np.inf)
    if temperature == 0:
        probs = np.zeros_like(z)
        np.put_along_axis(probs, np.argmax(z, axis=-1)[..., None], 1.0, axis=-1)
        return probs
    return softmax_forward(z / temperature, axis=-1)[0]


def sample_next(logits, temperature: float = 1.0, top_k: int | None = None, rng=None):
    """Draw the next token id from logits.

    logits (C,) -> an ``int``; logits (N, C) -> int64 array (N,), one draw per row.
    ``rng``: a ``numpy.random.Generator`` (a fresh unseeded one if None).
    """
    probs = softmax_temperature(logits, temperature, top_k)
    rng = rng if rng is not None else np.random.default_rng()
    if probs.ndim == 1:
        return int(rng.choice(probs.shape[0], p=probs))
    # inverse-CDF draw, one uniform per row
    u = rng.random((probs.shape[0], 1))
    cdf = np.cumsum(probs, axis=1)
    idx = (cdf < u * cdf[:, -1:]).sum(axis=1)
    return np.minimum(idx, probs.shape[1] - 1).astype(np.int64)


def sample_sequence(
    step_fn: Callable,
    start: int,
    max_len: int,
    *,
    state=None,
    stop: int | None = None,
    temperature: float = 1.0,
    top_k: int | None = None,
    rng=None,
) -> list[int]:
    """Generate token ids one at a time, feeding each draw back in.

    ``step_fn(token: int, state) -> (logits (C,), state)`` runs the model one step
    (``state`` is whatever the model carries: None at first, then ``h`` or ``(h, c)``).
    Starts from ``start``, stops after ``max_len`` draws or when ``stop`` is drawn
    (``stop`` not included; ``start`` not included either).

    Example, with a character model and a vocabulary whose id 0 is "." (start and end):
    ``ids = sample_sequence(step, start=0, stop=0, max_len=20, temperature=0.8, rng=rng)``.
    """
    if max_len < 1:
        raise ValueError(f"max_len: expected a positive integer, got {max_len}")
    rng = rng if rng is not None else np.random.default_rng()
    out, token = [], start
    for _ in range(max_len):
        logits, state = step_fn(token, state)
        logits = to_numpy(logits, dtype=np.float64).reshape(-1)
        token = sample_next(logits, temperature, top_k, rng)
        if stop is not None and token == stop:
            break
        out.append(token)
    return out
