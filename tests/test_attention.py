"""Attention ops: numerical gradient checks (float64) and parity with a torch autograd
implementation of the same formulas to 1e-9, with a padding mask; numpy and torch in."""

import numpy as np
import pytest
import torch

from rnnlib import functional as F
from rnnlib.gradcheck import numerical_gradient, rel_error

TOL = 1e-9


def _inputs(rng, N=3, S=5, H=4, Dv=3, A=6, Hq=2):
    mask = np.ones((N, S))
    mask[0, 3:] = 0
    mask[2, 1:] = 0  # a single valid position
    return dict(
        query=rng.standard_normal((N, H)),
        keys=rng.standard_normal((N, S, H)),
        values=rng.standard_normal((N, S, Dv)),
        mask=mask,
        query_a=rng.standard_normal((N, Hq)),
        W_q=rng.standard_normal((A, Hq)) * 0.5,
        W_k=rng.standard_normal((A, H)) * 0.5,
        v=rng.standard_normal(A),
    )


def test_masked_softmax_gives_exactly_zero_and_sums_to_one(rng):
    scores = rng.standard_normal((3, 5)) * 10
    mask = (rng.random((3, 5)) > 0.4).astype(float)
    mask[:, 0] = 1
    a, _ = F.masked_softmax_forward(scores, mask)
    assert np.all(a[mask == 0] == 0.0)
    np.testing.assert_allclose(a.sum(-1), 1.0, atol=1e-12)
    with pytest.raises(ValueError, match="mask"):
        F.masked_softmax_forward(scores, np.zeros((3, 5)))


def test_masked_softmax_gradcheck(rng):
    scores = rng.standard_normal((3, 5))
    mask = np.ones((3, 5))
    mask[1, 2:] = 0
    da = rng.standard_normal((3, 5))
    a, cache = F.masked_softmax_forward(scores, mask)
    num = numerical_gradient(lambda: F.masked_softmax_forward(scores, mask)[0], scores, da)
    assert rel_error(F.masked_softmax_backward(da, cache), num) <= 1e-7


@pytest.mark.parametrize("scale", [False, True])
@pytest.mark.parametrize("use_dweights", [False, True])
def test_dot_attention_gradcheck(rng, scale, use_dweights):
    d = _inputs(rng)
    q, k, val, mask = d["query"], d["keys"], d["values"], d["mask"]
    ctx, a, cache = F.dot_attention_forward(q, k, val, mask, scale=scale)
    assert np.all(a[mask == 0] == 0)
    dctx = rng.standard_normal(ctx.shape)
    dw = rng.standard_normal(a.shape) if use_dweights else None

    def loss():
        c, w, _ = F.dot_attention_forward(q, k, val, mask, scale=scale)
        return np.sum(c * dctx) + (np.sum(w * dw) if dw is not None else 0.0)

    grads = F.dot_attention_backward(dctx, cache, dw)
    for g, x in zip(grads, (q, k, val), strict=True):
        assert rel_error(g, numerical_gradient(loss, x)) <= 1e-7


def test_additive_attention_gradcheck(rng):
    d = _inputs(rng)
    args = [d["query_a"], d["keys"], d["values"], d["W_q"], d["W_k"], d["v"]]
    mask = d["mask"]
    ctx, a, cache = F.additive_attention_forward(*args, mask)
    dctx, dw = rng.standard_normal(ctx.shape), rng.standard_normal(a.shape)

    def loss():
        c, w, _ = F.additive_attention_forward(*args, mask)
        return np.sum(c * dctx) + np.sum(w * dw)

    dq, dk, dval, g = F.additive_attention_backward(dctx, cache, dw)
    mine = [dq, dk, dval, g["W_q"], g["W_k"], g["v"]]
    for name, gm, x in zip(["q", "k", "val", "W_q", "W_k", "v"], mine, args, strict=True):
        assert rel_error(gm, numerical_gradient(loss, x)) <= 1e-7, name


def _torch_attention(kind, t, mask, scale):
    """The same formulas with torch autograd (the oracle)."""
    if kind == "dot":
        e = torch.einsum("nsh,nh->ns", t["keys"], t["query"])
        if scale:
            e = e / t["query"].shape[-1] ** 0.5
    else:
        hid = torch.tanh((t["query_a"] @ t["W_q"].T)[:, None, :] + t["keys"] @ t["W_k"].T)
        e = hid @ t["v"]
    e = e.masked_fill(mask == 0, float("-inf"))
    a = torch.softmax(e, dim=-1)
    return torch.einsum("ns,nsd->nd", a, t["values"]), a


@pytest.mark.parametrize("kind,scale", [("dot", False), ("dot", True), ("additive", False)])
@pytest.mark.parametrize("as_torch", [False, True])
def test_attention_parity_with_torch_autograd(rng, kind, scale, as_torch):
    d = _inputs(rng)
    t = {k: torch.tensor(v, requires_grad=k != "mask") for k, v in d.items()}
    ctx_ref, a_ref = _torch_attention(kind, t, t["mask"], scale)
    dctx, dw = torch.randn_like(ctx_ref), torch.randn_like(a_ref)
    (torch.sum(ctx_ref * dctx) + torch.sum(a_ref * dw)).backward()

    conv = (lambda x: x.detach().clone()) if as_torch else (lambda x: x.detach().numpy())
    back = (lambda x: x.numpy()) if as_torch else (lambda x: x)
    if kind == "dot":
        names = ["query", "keys", "values"]
        ctx, a, cache = F.dot_attention_forward(
            *(conv(t[n]) for n in names), conv(t["mask"]), scale=scale
        )
        grads = F.dot_attention_backward(conv(dctx), cache, conv(dw))
    else:
        names = ["query_a", "keys", "values", "W_q", "W_k", "v"]
        ctx, a, cache = F.additive_attention_forward(*(conv(t[n]) for n in names), conv(t["mask"]))
        dq, dk, dval, g = F.additive_attention_backward(conv(dctx), cache, conv(dw))
        grads = [dq, dk, dval, g["W_q"], g["W_k"], g["v"]]
    if as_torch:
        assert isinstance(ctx, torch.Tensor) and isinstance(grads[0], torch.Tensor)
    np.testing.assert_allclose(back(ctx), ctx_ref.detach().numpy(), rtol=TOL, atol=TOL)
    np.testing.assert_allclose(back(a), a_ref.detach().numpy(), rtol=TOL, atol=TOL)
    for n, g in zip(names, grads, strict=True):
        np.testing.assert_allclose(back(g), t[n].grad.numpy(), rtol=TOL, atol=TOL, err_msg=n)


def test_attention_shape_errors_name_the_tensor(rng):
    d = _inputs(rng)
    with pytest.raises(ValueError, match="values"):
        F.dot_attention_forward(d["query"], d["keys"], d["values"][:, :2], d["mask"])
    with pytest.raises(ValueError, match="mask"):
        F.dot_attention_forward(d["query"], d["keys"], d["values"], d["mask"][:, :2])
