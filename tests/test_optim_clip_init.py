"""Optimizers against torch.optim, clipping and initializers."""

import numpy as np
import pytest
import torch

import rnnlib
from rnnlib import init

CASES = [
    (rnnlib.SGD, torch.optim.SGD, dict(lr=0.1)),
    (rnnlib.SGD, torch.optim.SGD, dict(lr=0.1, momentum=0.9)),
    (rnnlib.Adagrad, torch.optim.Adagrad, dict(lr=0.1)),
    (rnnlib.RMSprop, torch.optim.RMSprop, dict(lr=0.01)),
    (rnnlib.Adam, torch.optim.Adam, dict(lr=0.01)),
]


@pytest.mark.parametrize("mine,theirs,kw", CASES)
def test_optimizer_matches_torch(rng, mine, theirs, kw):
    w0 = rng.standard_normal((3, 4))
    params = {"w": w0.copy()}
    tw = torch.tensor(w0, requires_grad=True)
    opt, topt = mine(params, **kw), theirs([tw], **kw)
    for _ in range(5):
        g = rng.standard_normal((3, 4))
        opt.step({"w": g})
        tw.grad = torch.tensor(g)
        topt.step()
    np.testing.assert_allclose(params["w"], tw.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_optimizer_updates_in_place_and_trains_a_layer(rng):
    layer = rnnlib.Linear(3, 1, rng=rng)
    w = layer.params["weight"]
    x = rng.standard_normal((64, 3))
    y = x @ np.array([[1.0, -2.0, 0.5]]).T + 0.3
    opt = rnnlib.Adam(layer.params, lr=0.05)
    for _ in range(300):
        loss, cache = rnnlib.F.mse_forward(layer.forward(x), y)
        layer.backward(rnnlib.F.mse_backward(cache))
        opt.step(layer.grads)
    assert layer.params["weight"] is w  # in place
    assert loss < 1e-3


def test_clip_by_norm_keeps_direction(rng):
    grads = {"a": rng.standard_normal(5) * 10, "b": rng.standard_normal((2, 2)) * 10}
    before = {k: v.copy() for k, v in grads.items()}
    norm = rnnlib.clip_by_norm(grads, 1.0)
    assert norm == pytest.approx(np.sqrt(sum((v**2).sum() for v in before.values())))
    assert rnnlib.global_norm(grads) == pytest.approx(1.0)
    np.testing.assert_allclose(
        grads["a"] / before["a"], grads["b"].ravel()[0] / before["b"].ravel()[0]
    )
    small = {"a": np.array([0.1, 0.2])}
    rnnlib.clip_by_norm(small, 1.0)
    np.testing.assert_array_equal(small["a"], [0.1, 0.2])


def test_clip_by_value():
    grads = {"a": np.array([-5.0, 0.3, 7.0])}
    rnnlib.clip_by_value(grads, 1.0)
    np.testing.assert_array_equal(grads["a"], [-1.0, 0.3, 1.0])
    with pytest.raises(ValueError, match="clip_value"):
        rnnlib.clip_by_value(grads, 0)


def test_initializers(rng):
    q = init.orthogonal((6, 6), rng)
    np.testing.assert_allclose(q @ q.T, np.eye(6), atol=1e-12)
    r = init.orthogonal_recurrent(4, 3, rng)
    assert r.shape == (12, 4)
    for k in range(3):
        np.testing.assert_allclose(
            r[4 * k : 4 * k + 4].T @ r[4 * k : 4 * k + 4], np.eye(4), atol=1e-12
        )
    x = init.xavier_uniform((200, 300), rng)
    assert np.abs(x).max() <= np.sqrt(6 / 500) and np.abs(x).max() > 0.9 * np.sqrt(6 / 500)
    u = init.uniform_default((100, 100), rng, fan=25)
    assert np.abs(u).max() <= 0.2 and np.abs(u).max() > 0.19
