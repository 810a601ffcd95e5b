"""Whole-layer gradient checks (float64) through rnnlib.gradcheck.check_layer."""

import pytest

import rnnlib
from rnnlib.gradcheck import check_layer


def test_linear_and_mlp(rng):
    x = rng.standard_normal((4, 3))
    for layer in (rnnlib.Linear(3, 5, rng=rng), rnnlib.MLP([3, 6, 2], activation="tanh", rng=rng)):
        errors = check_layer(layer, x)
        assert max(errors.values()) <= 1e-7, errors


@pytest.mark.parametrize("cls", [rnnlib.RNN, rnnlib.LSTM, rnnlib.GRU])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_recurrent_layer(rng, cls, bidirectional):
    layer = cls(3, 4, num_layers=2, bidirectional=bidirectional, rng=rng)
    x = rng.standard_normal((5, 2, 3))
    errors = check_layer(layer, x)
    assert set(errors) == set(layer.params) | {"x"}
    assert max(errors.values()) <= 1e-7, errors


def test_gradcheck_catches_a_wrong_backward(rng):
    """The checker itself must fail on a broken backward (here: a gradient scaled by 2)."""
    layer = rnnlib.Linear(3, 2, rng=rng)
    x = rng.standard_normal((4, 3))
    original = layer.backward

    def broken(dy):
        dx = original(dy)
        layer.grads["weight"] = layer.grads["weight"] * 2
        return dx

    layer.backward = broken
    errors = check_layer(layer, x)
    assert errors["weight"] > 0.1 and errors["bias"] < 1e-7
