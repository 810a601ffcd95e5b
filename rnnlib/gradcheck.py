"""Numerical gradients by central differences, to check hand-written backward passes.

    df/dx_i ~ sum(dout * (f(x + eps e_i) - f(x - eps e_i))) / (2 eps)

Run in float64: in float32 the rounding error of f swamps the difference quotient.
"""

from __future__ import annotations

import numpy as np

from ._checks import ShapeError


def rel_error(a, b) -> float:
    """||a - b|| / (||a|| + ||b||): 0 for equal arrays, 1 for opposite ones.

    Measured on the whole array (Frobenius norms) rather than elementwise, so entries that are
    almost zero, whose finite differences are pure rounding noise, do not dominate.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ShapeError(f"rel_error: shapes differ, {a.shape} vs {b.shape}")
    denom = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if denom == 0 else float(np.linalg.norm(a - b) / denom)


def numerical_gradient(f, x, dout=None, eps=1e-6):
    """Gradient of sum(dout * f()) with respect to the array ``x``, which f reads (modified in
    place and restored). ``dout`` defaults to 1 (f returns a scalar). Returns an array like x."""
    if np.asarray(x).dtype != np.float64:
        raise TypeError(f"x: gradient checks need float64, got {np.asarray(x).dtype}")
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"], op_flags=[["readwrite"]])
    while not it.finished:
        i = it.multi_index
        old = x[i]
        x[i] = old + eps
        plus = np.asarray(f(), dtype=np.float64)
        x[i] = old - eps
        minus = np.asarray(f(), dtype=np.float64)
        x[i] = old
        diff = plus - minus
        grad[i] = np.sum(diff * dout) / (2 * eps) if dout is not None else np.sum(diff) / (2 * eps)
        it.iternext()
    return grad


def _outputs(result):
    """Flatten a forward's result (array, or nested tuples of arrays) into a list of arrays."""
    if isinstance(result, (tuple, list)):
        return [a for r in result for a in _outputs(r)]
    return [np.asarray(result)]


def check_layer(layer, x, state=None, seed=0, eps=1e-6) -> dict:
    """Compare ``layer.backward`` with numerical gradients of every parameter and of x.

    Uses random upstream gradients for the output and the final state, loss = sum(dout * out).
    Returns {name: relative error}; all should be tiny (< 1e-7) in float64.
    """
    rng = np.random.default_rng(seed)
    out = layer.forward(x, state) if state is not None else layer.forward(x)
    outs = _outputs(out)
    douts = [rng.standard_normal(o.shape) for o in outs]

    def loss():
        res = layer.forward(x, state) if state is not None else layer.forward(x)
        return sum(np.sum(d * o) for d, o in zip(douts, _outputs(res), strict=True))

    layer.forward(x, state) if state is not None else layer.forward(x)
    structured = _restructure(douts, out)
    back = layer.backward(*structured) if isinstance(out, tuple) else layer.backward(structured)
    dx = back[0] if isinstance(back, tuple) else back
    errors = {}
    for name, p in layer.params.items():
        errors[name] = rel_error(layer.grads[name], numerical_gradient(loss, p, eps=eps))
    if dx is not None:
        errors["x"] = rel_error(dx, numerical_gradient(loss, x, eps=eps))
    return errors


def _restructure(flat, like):
    """Rebuild the nesting of ``like`` (tuples of arrays) from the flat list ``flat``."""
    flat = list(flat)

    def build(node):
        if isinstance(node, (tuple, list)):
            return tuple(build(n) for n in node)
        return flat.pop(0)

    return build(like)
