"""Self-attention layer: gradient check (float64), parity with torch autograd of the same
formulas (to 1e-9), the causal mask, and the positional encoding."""

import numpy as np
import pytest
import torch

import rnnlib
from rnnlib.gradcheck import check_layer


@pytest.mark.parametrize("causal", [False, True])
def test_self_attention_gradcheck(rng, causal):
    layer = rnnlib.SelfAttention(4, causal=causal, rng=rng)
    errors = check_layer(layer, rng.standard_normal((2, 5, 4)))
    # b_k adds q . b_k to a whole row of scores, which softmax ignores: its gradient is 0
    # (so its relative error is noise over noise); check it absolutely instead
    assert np.abs(layer.grads["bias_k"]).max() < 1e-12
    del errors["bias_k"]
    assert max(errors.values()) <= 1e-7, errors


@pytest.mark.parametrize("as_torch", [False, True])
def test_self_attention_parity_with_torch_autograd(rng, as_torch):
    layer = rnnlib.SelfAttention(4, causal=True, rng=rng)
    x = rng.standard_normal((3, 5, 4))
    key_mask = np.ones((3, 5))
    key_mask[0, 3:] = 0
    P = {k: torch.tensor(v, requires_grad=True) for k, v in layer.params.items()}
    xt = torch.tensor(x, requires_grad=True)

    def lin(t, p):
        return t @ P[f"weight_{p}"].T + P[f"bias_{p}"]

    q, k, v = lin(xt, "q"), lin(xt, "k"), lin(xt, "v")
    s = q @ k.transpose(-1, -2) / 2.0
    allowed = torch.tril(torch.ones(5, 5, dtype=torch.bool)) & torch.tensor(key_mask != 0)[:, None]
    a = torch.softmax(s.masked_fill(~allowed, float("-inf")), dim=-1)
    y_ref = lin(a @ v, "o")
    dy = torch.randn_like(y_ref)
    (y_ref * dy).sum().backward()

    if as_torch:
        layer.to("cpu")
        y = layer.forward(torch.tensor(x), key_mask=torch.tensor(key_mask))
        dx = layer.backward(dy.clone())
        assert isinstance(y, torch.Tensor)
        y, dx = y.numpy(), dx.numpy()
        grads = {n: g.numpy() for n, g in layer.grads.items()}
    else:
        y = layer.forward(x, key_mask=key_mask)
        dx = layer.backward(dy.numpy())
        grads = layer.grads
    np.testing.assert_allclose(y, y_ref.detach().numpy(), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-9, atol=1e-9)
    for n, p in P.items():
        np.testing.assert_allclose(grads[n], p.grad.numpy(), rtol=1e-9, atol=1e-9, err_msg=n)


def test_causal_attention_never_looks_ahead(rng):
    layer = rnnlib.SelfAttention(3, causal=True, rng=rng)
    x = rng.standard_normal((1, 6, 3))
    y = layer.forward(x)
    assert np.all(np.triu(layer.weights[0], k=1) == 0)
    x2 = x.copy()
    x2[0, 4:] += 10.0
    np.testing.assert_allclose(layer.forward(x2)[0, :4], y[0, :4], atol=1e-12)


def test_positional_encoding():
    pe = rnnlib.positional_encoding(50, 6)
    assert pe.shape == (50, 6)
    np.testing.assert_allclose(pe[0], [0, 1, 0, 1, 0, 1])
    np.testing.assert_allclose(pe[:, 0::2] ** 2 + pe[:, 1::2] ** 2, 1.0)
    assert len({tuple(np.round(r, 6)) for r in pe}) == 50  # every position distinct
    assert rnnlib.positional_encoding(4, 5).shape == (4, 5)
