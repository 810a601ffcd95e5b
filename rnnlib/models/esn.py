"""Echo state network: a fixed random reservoir, only the linear readout is trained.

    x_t = (1 - alpha) x_{t-1} + alpha tanh(W_in [1; s * u_t] + W x_{t-1})     reservoir (R,)
    y_t = W_out [1; u_t; x_t]                                                 readout (O,)

W (R, R) is random and sparse, rescaled so that its spectral radius max |eig(W)| = rho (below
1 for the echo state property: the state forgets its initial condition). alpha is the leak
rate, s the input scaling. After discarding ``washout`` steps, the readout is ridge regression
in closed form over the collected features Z (T', 1 + I + R):

    W_out = Y^T Z (Z^T Z + lambda I)^{-1}

Shapes: u (T, I) inputs, y (T, O) targets, states (T, R). numpy only (nothing is trained
by gradient, so there is nothing to move to a GPU).
"""

from __future__ import annotations

import numpy as np

from .._checks import ShapeError


class EchoStateNetwork:
    """ESN(input_size I, reservoir_size R, ...). ``fit(u, y)`` learns the readout,
    ``predict(u)`` gives one-step outputs (teacher-forced inputs), ``generate(n_steps)``
    runs free, feeding its own output back as the next input (needs O == I)."""

    def __init__(
        self,
        input_size,
        reservoir_size,
        spectral_radius=0.9,
        leak_rate=1.0,
        input_scaling=1.0,
        sparsity=0.9,
        ridge=1e-6,
        washout=50,
        rng=None,
    ):
        if not 0 < leak_rate <= 1:
            raise ValueError(f"leak_rate: expected a value in (0, 1], got {leak_rate!r}")
        if not 0 <= sparsity < 1:
            raise ValueError(f"sparsity: expected a fraction in [0, 1), got {sparsity!r}")
        if spectral_radius <= 0:
            raise ValueError(f"spectral_radius: expected > 0, got {spectral_radius!r}")
        rng = rng if rng is not None else np.random.default_rng()
        self.input_size, self.reservoir_size = input_size, reservoir_size
        self.leak_rate, self.input_scaling = leak_rate, input_scaling
        self.ridge, self.washout = ridge, washout
        self.W_in = rng.uniform(-1, 1, (reservoir_size, 1 + input_size))  # (R, 1 + I)
        W = rng.uniform(-1, 1, (reservoir_size, reservoir_size))
        W[rng.random(W.shape) < sparsity] = 0.0  # sparsity: the fraction of zero weights
        radius = np.max(np.abs(np.linalg.eigvals(W)))
        self.W = W * (spectral_radius / radius)  # (R, R), max |eig| = spectral_radius
        self.W_out = None  # (O, 1 + I + R) after fit
        self.state = np.zeros(reservoir_size)
        self.last_input = None

    def _check_u(self, u):
        u = np.asarray(u, dtype=np.float64)
        u = u[:, None] if u.ndim == 1 else u
        if u.ndim != 2 or u.shape[1] != self.input_size:
            raise ShapeError(f"u: expected shape (T, I={self.input_size}), got {u.shape}")
        return u

    def _step(self, x, u_t):
        pre = self.W_in @ np.concatenate([[1.0], self.input_scaling * u_t]) + self.W @ x
        return (1 - self.leak_rate) * x + self.leak_rate * np.tanh(pre)

    def run_reservoir(self, u, x0=None):
        """u (T, I) -> states (T, R), starting from x0 (R,) (default: the current state)."""
        u = self._check_u(u)
        x = self.state if x0 is None else x0
        states = np.empty((len(u), self.reservoir_size))
        for t in range(len(u)):
            x = self._step(x, u[t])
            states[t] = x
        return states

    def _features(self, u, states):
        return np.hstack([np.ones((len(u), 1)), u, states])  # (T, 1 + I + R)

    def fit(self, u, y):
        """Drive the reservoir from zero with u (T, I), drop ``washout`` steps and solve the
        ridge regression for y (T, O). Returns self; the reservoir keeps its last state."""
        u = self._check_u(u)
        y = np.asarray(y, dtype=np.float64)
        y = y[:, None] if y.ndim == 1 else y
        if len(y) != len(u):
            raise ShapeError(f"y: expected {len(u)} rows (like u), got {len(y)}")
        if len(u) <= self.washout:
            raise ValueError(f"u: needs more than washout={self.washout} steps, got {len(u)}")
        states = self.run_reservoir(u, np.zeros(self.reservoir_size))
        Z = self._features(u, states)[self.washout :]
        Y = y[self.washout :]
        A = Z.T @ Z + self.ridge * np.eye(Z.shape[1])
        self.W_out = np.linalg.solve(A, Z.T @ Y).T  # (O, 1 + I + R)
        self.state, self.last_input = states[-1], u[-1]
        return self

    def _require_fit(self):
        if self.W_out is None:
            raise RuntimeError("EchoStateNetwork: call fit(u, y) before predict or generate")

    def predict(self, u):
        """One-step outputs for inputs u (T, I), continuing from the current state
        -> (T, O). The state advances."""
        self._require_fit()
        u = self._check_u(u)
        states = self.run_reservoir(u)
        self.state, self.last_input = states[-1], u[-1]
        return self._features(u, states) @ self.W_out.T

    def generate(self, n_steps, first_input=None):
        """Free running: each output becomes the next input. -> (n_steps, O).

        first_input (I,) defaults to the last output of predict/fit's target position, i.e.
        the model's own one-step prediction from the current state."""
        self._require_fit()
        if self.W_out.shape[0] != self.input_size:
            raise ShapeError("generate: needs output size == input_size to feed outputs back")
        x = self.state
        u_t = (
            np.asarray(first_input, dtype=np.float64)
            if first_input is not None
            else self._features(self.last_input[None], x[None]) @ self.W_out.T
        ).reshape(self.input_size)
        out = np.empty((n_steps, self.input_size))
        for t in range(n_steps):
            x = self._step(x, u_t)
            u_t = self._features(u_t[None], x[None])[0] @ self.W_out.T
            out[t] = u_t
        self.state = x
        return out
