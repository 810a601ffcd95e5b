"""Gradient clipping, in place on a grads dict.

- by value: every element clamped to [-c, c] (changes the direction of the gradient);
- by global norm: if ||g|| = sqrt(sum over all arrays of sum g^2) > c, every array is scaled
  by c / ||g|| (keeps the direction; Pascanu et al., 2013).
"""

from __future__ import annotations

from ._backend import namespace


def global_norm(grads: dict) -> float:
    """sqrt(sum of squares of every gradient array)."""
    total = 0.0
    for g in grads.values():
        total += float((g * g).sum())
    return total**0.5


def clip_by_norm(grads: dict, max_norm: float) -> float:
    """Scale all gradients together so their global norm is at most ``max_norm``.
    Returns the norm before clipping (useful to plot)."""
    if max_norm <= 0:
        raise ValueError(f"max_norm: expected a positive number, got {max_norm}")
    norm = global_norm(grads)
    if norm > max_norm:
        scale = max_norm / (norm + 1e-12)
        for g in grads.values():
            g *= scale
    return norm


def clip_by_value(grads: dict, clip_value: float) -> None:
    """Clamp every gradient element to [-clip_value, clip_value]."""
    if clip_value <= 0:
        raise ValueError(f"clip_value: expected a positive number, got {clip_value}")
    for k, g in grads.items():
        ops = namespace(g)
        grads[k][...] = ops.clip(g, -clip_value, clip_value)
