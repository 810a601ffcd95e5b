"""Weight initializers. Each takes a shape and a numpy Generator and returns a float array.

- ``uniform_default``: torch's default for RNN/LSTM/GRU and Linear, U(-1/sqrt(fan), 1/sqrt(fan)).
- ``xavier_uniform``: U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio, 2010).
- ``orthogonal``: a (semi-)orthogonal matrix from the QR of a Gaussian matrix (Saxe et al., 2014);
  for a recurrent (G*H, H) matrix each H x H gate block is made orthogonal on its own.
"""

from __future__ import annotations

import numpy as np


def uniform_default(shape, rng: np.random.Generator, fan: int, dtype=np.float64):
    """U(-k, k) with k = 1/sqrt(fan): torch.nn's default (fan = hidden_size for RNNs)."""
    k = 1.0 / np.sqrt(fan)
    return rng.uniform(-k, k, size=shape).astype(dtype)


def xavier_uniform(shape, rng: np.random.Generator, gain: float = 1.0, dtype=np.float64):
    """U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)); shape (fan_out, fan_in)."""
    fan_out, fan_in = shape[0], int(np.prod(shape[1:]))
    a = gain * np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-a, a, size=shape).astype(dtype)


def orthogonal(shape, rng: np.random.Generator, gain: float = 1.0, dtype=np.float64):
    """A matrix with orthonormal rows or columns (whichever are fewer), times ``gain``."""
    rows, cols = shape[0], int(np.prod(shape[1:]))
    a = rng.standard_normal((max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(a)
    q *= np.sign(np.diag(r))  # makes the distribution uniform over orthogonal matrices
    if rows < cols:
        q = q.T
    return (gain * q).reshape(shape).astype(dtype)


def orthogonal_recurrent(hidden_size: int, gates: int, rng, gain: float = 1.0, dtype=np.float64):
    """(gates*H, H): one orthogonal H x H block per gate, stacked as torch lays them out."""
    blocks = [orthogonal((hidden_size, hidden_size), rng, gain, dtype) for _ in range(gates)]
    return np.concatenate(blocks, axis=0)
