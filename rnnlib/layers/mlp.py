"""A multilayer perceptron for the feedforward chapter: Linear -> activation -> ... -> Linear."""

from __future__ import annotations

import numpy as np

from ..functional.activations import ACTIVATIONS
from .linear import Linear
from .module import Module


class MLP(Module):
    """sizes = [D, H1, ..., M]: a Linear between each pair, ``activation`` after all but the last.

    x (N, D) -> y (N, M). Parameters are named ``{k}.weight`` and ``{k}.bias`` (k = 0, 1, ...).
    """

    def __init__(self, sizes, activation="tanh", *, dtype=np.float64, rng=None):
        super().__init__()
        if len(sizes) < 2:
            raise ValueError(f"sizes: expected at least [in, out], got {sizes}")
        if activation not in ACTIVATIONS:
            raise ValueError(
                f"activation: expected one of {sorted(ACTIVATIONS)}, got {activation!r}"
            )
        rng = rng if rng is not None else np.random.default_rng()
        self.layers = [
            Linear(a, b, dtype=dtype, rng=rng) for a, b in zip(sizes, sizes[1:], strict=False)
        ]
        for k, layer in enumerate(self.layers):  # children "0", "1", ...: params "0.weight", ...
            setattr(self, str(k), layer)
        self.activation = activation

    def forward(self, x):
        forward, _ = ACTIVATIONS[self.activation]
        caches = []
        for k, layer in enumerate(self.layers):
            x = layer.forward(x)
            if k < len(self.layers) - 1:
                x, cache = forward(x)
                caches.append(cache)
        self._cache = caches
        return x

    def backward(self, dy):
        caches = self._require_cache()
        _, backward = ACTIVATIONS[self.activation]
        for k in range(len(self.layers) - 1, -1, -1):
            if k < len(self.layers) - 1:
                dy = backward(dy, caches[k])
            dy = self.layers[k].backward(dy)
        return dy
