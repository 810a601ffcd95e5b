"""Linear and Embedding layers (torch names: weight, bias)."""

from __future__ import annotations

import numpy as np

from .. import functional as F
from .._checks import check_float, check_shape
from ..init import uniform_default
from .module import Module


class Linear(Module):
    """y = x W^T + b. x (..., in_features) -> y (..., out_features); weight (M, D), bias (M,)."""

    def __init__(self, in_features, out_features, bias=True, *, dtype=np.float64, rng=None):
        super().__init__()
        rng = rng if rng is not None else np.random.default_rng()
        shape = (out_features, in_features)
        self.params["weight"] = uniform_default(shape, rng, in_features, dtype)
        if bias:
            self.params["bias"] = uniform_default((out_features,), rng, in_features, dtype)

    def forward(self, x):
        W = self.params["weight"]
        check_shape("x", x, (None,) * (max(x.ndim, 1) - 1) + (W.shape[1],))
        check_float("x", x, like=W)
        y, self._cache = F.linear_forward(x, W, self.params.get("bias"))
        return y

    def backward(self, dy):
        dx, dW, db = F.linear_backward(dy, self._require_cache())
        self.grads = {"weight": dW} | ({"bias": db} if db is not None else {})
        return dx


class Embedding(Module):
    """out = weight[idx]. idx (...) ints in [0, V) -> out (..., E); weight (V, E) ~ N(0, 1)."""

    def __init__(self, num_embeddings, embedding_dim, *, dtype=np.float64, rng=None):
        super().__init__()
        rng = rng if rng is not None else np.random.default_rng()
        self.params["weight"] = rng.standard_normal((num_embeddings, embedding_dim)).astype(dtype)

    def forward(self, idx):
        out, self._cache = F.embedding_forward(idx, self.params["weight"])
        return out

    def backward(self, dout):
        """Fills grads['weight']; there is no gradient for integer indices, so returns None."""
        self.grads = {"weight": F.embedding_backward(dout, self._require_cache())}
        return None
