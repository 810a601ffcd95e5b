"""Optimizers over any ``params``/``grads`` dicts (same keys), updating the arrays in place.

    SGD:      v = mu v + g;           p -= lr v                         (mu = 0: plain SGD)
    Adagrad:  s += g^2;               p -= lr g / (sqrt(s) + eps)
    RMSprop:  s = a s + (1 - a) g^2;  p -= lr g / (sqrt(s) + eps)
    Adam:     m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
              p -= lr m_hat / (sqrt(v_hat) + eps), m_hat = m / (1 - b1^t), v_hat = v / (1 - b2^t)

The optimizer holds its own state (velocities, moments, step count); layers hold none.
Updates are in place, so every holder of a parameter array sees the new values.
"""

from __future__ import annotations

from ._backend import namespace


class Optimizer:
    def __init__(self, params: dict, lr: float):
        if lr <= 0:
            raise ValueError(f"lr: expected a positive learning rate, got {lr}")
        self.params, self.lr = params, lr
        self.state: dict = {}

    def _slot(self, name, key):
        """Per-parameter state array, zeros on first use."""
        slots = self.state.setdefault(name, {})
        if key not in slots:
            slots[key] = self.params[key] * 0
        return slots[key]

    def step(self, grads: dict) -> None:
        missing = set(self.params) - set(grads)
        if missing:
            raise KeyError(
                f"grads: no gradient for parameters {sorted(missing)}; run backward first"
            )
        for key, p in self.params.items():
            p -= self._update(key, grads[key])  # in place

    def _update(self, key, g):
        raise NotImplementedError


class SGD(Optimizer):
    """Stochastic gradient descent with optional (heavy-ball) momentum."""

    def __init__(self, params, lr=0.01, momentum=0.0):
        super().__init__(params, lr)
        self.momentum = momentum

    def _update(self, key, g):
        if not self.momentum:
            return self.lr * g
        v = self._slot("velocity", key)
        v *= self.momentum
        v += g
        return self.lr * v


class Adagrad(Optimizer):
    def __init__(self, params, lr=0.01, eps=1e-10):
        super().__init__(params, lr)
        self.eps = eps

    def _update(self, key, g):
        s = self._slot("sum_sq", key)
        s += g * g
        return self.lr * g / (namespace(g).sqrt(s) + self.eps)


class RMSprop(Optimizer):
    def __init__(self, params, lr=0.01, alpha=0.99, eps=1e-8):
        super().__init__(params, lr)
        self.alpha, self.eps = alpha, eps

    def _update(self, key, g):
        s = self._slot("square_avg", key)
        s *= self.alpha
        s += (1 - self.alpha) * g * g
        return self.lr * g / (namespace(g).sqrt(s) + self.eps)


class Adam(Optimizer):
    def __init__(self, params, lr=0.001, betas=(0.9, 0.999), eps=1e-8):
        super().__init__(params, lr)
        self.betas, self.eps = betas, eps
        self.t = 0

    def step(self, grads):
        self.t += 1
        super().step(grads)

    def _update(self, key, g):
        b1, b2 = self.betas
        m, v = self._slot("exp_avg", key), self._slot("exp_avg_sq", key)
        m *= b1
        m += (1 - b1) * g
        v *= b2
        v += (1 - b2) * g * g
        m_hat = m / (1 - b1**self.t)
        v_hat = v / (1 - b2**self.t)
        return self.lr * m_hat / (namespace(g).sqrt(v_hat) + self.eps)
